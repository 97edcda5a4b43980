/** Kadende's own version: the `version` of the package.json this code was installed with (the CLI and the daemon say it). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findVersion(): string {
  // From lib/ in the sources or dist/lib/ in a build: the nearest package.json named kadende.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'kadende' && manifest.version) return manifest.version;
    } catch {
      // Not here: one folder up.
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

export const KADENDE_VERSION = findVersion();
