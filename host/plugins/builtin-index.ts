/**
 * The digests of the built-in plugins as the build packed them
 * (scripts/pack-builtins.mjs -> dist/builtin-plugins/index.json), so a
 * built-in pin records which build of the plugin it ran. Absent before the
 * first build: built-ins then pin without a digest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Index = Record<string, { version: string; integrity: string; file: string }>;
const loaded = new Map<string, Index>();

export function builtinIntegrity(pluginsDir: string, name: string, version: string): string | undefined {
  let index = loaded.get(pluginsDir);
  if (!index) {
    try {
      index = JSON.parse(readFileSync(join(pluginsDir, '../dist/builtin-plugins/index.json'), 'utf8')) as Index;
    } catch {
      index = {};
    }
    loaded.set(pluginsDir, index);
  }
  const entry = index[name];
  return entry && entry.version === version ? entry.integrity : undefined;
}
