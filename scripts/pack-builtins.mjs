// Packs each built-in plugin (after build-plugins.mjs bundled it) the way
// `kadende plugin pack` does, into dist/builtin-plugins/<name>-<version>.tgz,
// and writes dist/builtin-plugins/index.json with each tarball's sha512
// integrity. Built-in pins then carry a digest like registry pins do, and the
// tarballs can be published to a registry as they are.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packPlugin } from '../dist/registry/pack.js';
import { treeDigest } from '../dist/lib/index.js';

const root = new URL('../', import.meta.url).pathname;
const out = join(root, 'dist/builtin-plugins');
await mkdir(out, { recursive: true });
const index = {};
for (const name of (await readdir(join(root, 'plugins'))).sort()) {
  const dir = join(root, 'plugins', name);
  if (!existsSync(join(dir, 'package.json'))) continue;
  try {
    const packed = await packPlugin(dir);
    await writeFile(join(out, packed.fileName), packed.bytes);
    // What a built-in runs from its folder (its manifest and bundle), checked at every load (host/plugins/builtin-index.ts).
    const tree = await treeDigest(dir, { only: ['package.json', packed.manifest.main.replace(/^\.\//, '')] });
    index[packed.manifest.name] = { version: packed.manifest.version, integrity: packed.integrity, file: packed.fileName, tree };
  } catch (error) {
    // A folder that is not a (built) plugin yet is not shipped; say so, do not fail the build.
    process.stderr.write(`pack-builtins: skipping plugins/${name}: ${error.message.split('\n')[0]}\n`);
  }
}
await writeFile(join(out, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
