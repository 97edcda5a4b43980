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
import { readFile } from 'node:fs/promises';
import { pruneProtos } from './prune-protos.mjs';

/**
 * Each @google-cloud/compute client loads the descriptor of every Compute API (protos.json,
 * 11.7 MB: v1, v1beta and all their services), and the gcp plugin's bundle carried all of it
 * (15.7 MB; its import took about 750 ms in every thread). The bundle keeps what the services
 * below reach (about 170 KB). A client of another service in a bundle fails the build, naming it.
 */
const COMPUTE_SERVICES = ['Instances', 'ZoneOperations'];
const COMPUTE_CLIENT = /@google-cloud[\\/]compute[\\/]build[\\/]src[\\/]v1[\\/](\w+)_client\.js$/;
const COMPUTE_PROTOS = /@google-cloud[\\/]compute[\\/]build[\\/]protos[\\/]protos\.json$/;

const prunedComputeProtos = {
  name: 'pruned-compute-protos',
  setup(build) {
    const clients = new Set();
    build.onLoad({ filter: COMPUTE_CLIENT }, (args) => {
      clients.add(COMPUTE_CLIENT.exec(args.path)[1].replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase()));
      return undefined;
    });
    build.onLoad({ filter: COMPUTE_PROTOS }, async (args) => {
      const json = JSON.parse(await readFile(args.path, 'utf8'));
      const services = COMPUTE_SERVICES.map((name) => `google.cloud.compute.v1.${name}`);
      return { contents: JSON.stringify(pruneProtos(json, 'google.cloud.compute', services)), loader: 'json' };
    });
    build.onEnd(() => {
      const missing = [...clients].filter((service) => !COMPUTE_SERVICES.includes(service));
      if (missing.length > 0) {
        throw new Error(`the bundle uses the Compute client(s) ${missing.join(', ')}, whose types its protos leave out: add them to COMPUTE_SERVICES in scripts/plugin-bundle.mjs`);
      }
    });
  },
};

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
    plugins: [prunedComputeProtos],
    logLevel,
  });
}
