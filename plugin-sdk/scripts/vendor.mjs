// Replaces the compiled dist/vendor.js (re-exports of ajv, ajv-formats and
// typebox) with a self-contained esbuild bundle of them, so that the published
// SDK has no runtime dependencies. Run after `tsc -b` (the root `npm run build`
// does), and by `npm pack` (prepack).
import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;
if (!existsSync(`${root}dist/index.js`)) {
  process.stderr.write('plugin-sdk: dist/ is not built: run `npm run build` at the repository root first\n');
  process.exit(1);
}
await build({
  entryPoints: [`${root}src/vendor.ts`],
  outfile: `${root}dist/vendor.js`,
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ajv's CommonJS files call require(); give the ES module one.
  banner: { js: "import { createRequire as __sdkCreateRequire } from 'node:module';\nconst require = __sdkCreateRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
  allowOverwrite: true,
});
