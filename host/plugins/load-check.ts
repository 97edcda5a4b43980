/**
 * Loads a plugin once in a worker, as its pool will, and checks its default
 * export, so that `apply` and `plugin install` report a plugin that cannot load
 * (KADENDE_ERR_PLUGIN_LOAD) instead of every later call failing. Checked once
 * per plugin folder and process.
 */
import type { PluginFolder } from './manifest.js';
import { PluginPool } from './pool.js';

const checked = new Map<string, Promise<void>>();

export function checkPluginLoads(folder: PluginFolder): Promise<void> {
  let check = checked.get(folder.entry);
  if (!check) {
    check = (async () => {
      const pool = new PluginPool(folder);
      try {
        await pool.probe(1);
      } finally {
        await pool.close().catch(() => {});
      }
    })();
    checked.set(folder.entry, check);
    // A failure is not remembered: the folder may be fixed (rebuilt) and tried again.
    check.catch(() => checked.delete(folder.entry));
  }
  return check;
}
