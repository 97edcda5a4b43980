// Bundles each built-in plugin (plugins/<name>/src/index.ts) into one
// self-contained ES module, dist/plugin.js: a cached or packed plugin then runs
// without a node_modules of its own.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../plugins/', import.meta.url).pathname;
const banner = "import { createRequire as __kadendeCreateRequire } from 'node:module'; const require = __kadendeCreateRequire(import.meta.url);";

for (const name of (await readdir(root)).sort()) {
  const dir = join(root, name);
  const packageFile = join(dir, 'package.json');
  if (!existsSync(packageFile) || !existsSync(join(dir, 'src/index.ts'))) continue;
  const manifest = JSON.parse(await readFile(packageFile, 'utf8')).kadende;
  if (!manifest) continue;
  await build({
    entryPoints: [join(dir, 'src/index.ts')],
    outfile: join(dir, manifest.main),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: banner },
    legalComments: 'none',
    logLevel: 'warning',
  });
}
