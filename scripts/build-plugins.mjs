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

// Test fixture plugins with a source to bundle (test/fixtures/plugins/<name>/src/index.js):
// bundled the same way, so they run in a sandbox that reads only their own folder.
const fixtures = new URL('../test/fixtures/plugins/', import.meta.url).pathname;
for (const name of (await readdir(fixtures)).sort()) {
  const entry = join(fixtures, name, 'src/index.js');
  if (!existsSync(entry)) continue;
  const manifest = JSON.parse(await readFile(join(fixtures, name, 'package.json'), 'utf8')).kadende;
  await bundlePlugin(entry, join(fixtures, name, manifest.main));
}
