// How a plugin becomes one self-contained ES module: shared by the build
// (build-plugins.mjs), the bundle tests and the convergence benchmark, so all
// of them run exactly what ships.
import { build } from 'esbuild';

/**
 * CommonJS dependencies bundled into an ES module still expect `require`,
 * `__filename` and `__dirname` (google-gax computes paths from `__dirname` as
 * it loads). The banner defines them once at the top of the bundle, from the
 * bundle's own URL. esbuild wraps each CommonJS module in a function, so their
 * own uses see these; an ES module of the bundle declaring a top-level
 * `__dirname` of its own would clash, and loading the bundle (tested in
 * test/fake-clouds/bundles.test.ts) would say so at once.
 */
// One banner for the built-ins and for `kadende plugin pack` (registry/pack.ts, built before this runs).
export { BANNER } from '../dist/registry/pack.js';
import { BANNER } from '../dist/registry/pack.js';

/**
 * Bundles the plugin entry (its src/index.ts) into outfile.
 *
 * `module` before `main`: the built-ins' SDKs ship ES module builds beside
 * their CommonJS ones, and only those can be tree-shaken. For the aws plugin
 * that halves the bundle (3.4 to 1.8 MB) and its import (about 400 to 190 ms),
 * which every sandbox thread pays before its first call. esbuild's node default
 * is main first because some packages mean browser code by `module`; the
 * built-ins' dependencies are known and their bundles are run by the tests
 * (test/fake-clouds/bundles.test.ts), so `kadende plugin pack` keeps the default.
 */
export async function bundlePlugin(entry, outfile, { logLevel = 'warning' } = {}) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    legalComments: 'none',
    logLevel,
  });
}
