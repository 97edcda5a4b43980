/**
 * The digests of the built-in plugins as the build packed them
 * (scripts/pack-builtins.mjs -> dist/builtin-plugins/index.json), so a
 * built-in pin records which build of the plugin it ran. Absent before the
 * first build: built-ins then pin without a digest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeChanges, treeDigest, type TreeDigest } from '../../lib/index.js';
import { kadendeError } from '../../errors/index.js';
import type { PluginFolder } from './manifest.js';

type Index = Record<string, { version: string; integrity: string; file: string; tree?: TreeDigest }>;
const loaded = new Map<string, Index>();

function indexOf(pluginsDir: string): Index {
  let index = loaded.get(pluginsDir);
  if (!index) {
    try {
      index = JSON.parse(readFileSync(join(pluginsDir, '../dist/builtin-plugins/index.json'), 'utf8')) as Index;
    } catch {
      index = {};
    }
    loaded.set(pluginsDir, index);
  }
  return index;
}

export function builtinIntegrity(pluginsDir: string, name: string, version: string): string | undefined {
  const entry = indexOf(pluginsDir)[name];
  return entry && entry.version === version ? entry.integrity : undefined;
}

/**
 * Refuses a built-in whose manifest or bundle is not what the build recorded
 * (index.json's `tree`): a built-in is verified at load like a cached plugin.
 */
export async function verifyBuiltin(pluginsDir: string, folder: PluginFolder): Promise<void> {
  const { name, version } = folder.manifest;
  const recorded = indexOf(pluginsDir)[name];
  if (!recorded?.tree || recorded.version !== version) return; // not built and packed yet: nothing recorded
  const now = await treeDigest(folder.dir, { only: Object.keys(recorded.tree.files) }).catch(() => undefined);
  if (now?.digest === recorded.tree.digest) return;
  const changes = now ? treeChanges(recorded.tree, now) : ['its files cannot be read'];
  throw kadendeError('KADENDE_ERR_PLUGIN_INTEGRITY', `built-in plugin ${name}@${version} in ${folder.dir} is not what the build recorded: ${changes.join(', ')}; it is not loaded. Rebuild (npm run build) or reinstall Kadende`);
}
