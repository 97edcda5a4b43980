// Bundles each built-in plugin (plugins/<name>/src/index.ts) into one
// self-contained ES module, dist/plugin.js: a cached or packed plugin then runs
// without a node_modules of its own.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePlugin } from './plugin-bundle.mjs';

const root = new URL('../plugins/', import.meta.url).pathname;

for (const name of (await readdir(root)).sort()) {
  const dir = join(root, name);
  const packageFile = join(dir, 'package.json');
  if (!existsSync(packageFile) || !existsSync(join(dir, 'src/index.ts'))) continue;
  const manifest = JSON.parse(await readFile(packageFile, 'utf8')).kadende;
  if (!manifest) continue;
  await bundlePlugin(join(dir, 'src/index.ts'), join(dir, manifest.main));
}
