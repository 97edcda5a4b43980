/**
 * Convergence time through a cloud plugin: one group scaled from 0 to 200
 * through the bundled aws plugin (in its worker pool, as the host runs it)
 * against the fake EC2, whose RunInstances takes 300 ms and which allows 20
 * creates at once (more are answered RequestLimitExceeded). Measured from
 * apply to the reconcile that finds all 200 running, with the in-process
 * KadendeService, and printed beside the physical limit ceil(200/20) x 300 ms.
 *
 * Why aws: a create there is one request (EC2's ClientToken makes it
 * idempotent), so the figure is the controller and plugin overhead over the
 * cloud's own limit; gcp adds a zone-operation wait and digitalocean a tag
 * look-up before each create.
 *
 * The plugin's manifest caps calls in flight at limits.concurrency = 16, under
 * the cloud's 20, so the shipped plugin cannot reach the limit (its own floor is
 * ceil(200/16) x 300 ms). Both are measured: as shipped, and a copy of the
 * built plugin folder with concurrency 20 found first through
 * KADENDE_PLUGIN_PATH.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { KadendeService } from '../host/controller/service.js';
import { PluginHost } from '../host/plugins/host.js';
import { localSources, PluginResolver } from '../host/plugins/resolve.js';
import { LevelStore } from '../host/store/level-store.js';
import { startFakeEc2 } from '../test/fake-clouds/aws.js';
import { ec2Env, FAKE_CREDENTIALS, setProcessEnv } from '../test/fake-clouds/env.js';
import { heldByEc2 } from '../test/fake-clouds/tagged.js';
import { round, type BenchRow } from './harness.js';

const SIZE = 200;
const CREATE_MS = 300;
const CLOUD_CONCURRENCY = 20;
const PHYSICAL_MS = Math.ceil(SIZE / CLOUD_CONCURRENCY) * CREATE_MS;
const SHIPPED = fileURLToPath(new URL('../plugins/aws/', import.meta.url));

/** A copy of the built aws plugin (manifest and bundle) whose manifest allows `concurrency` calls at once. */
function pluginCopy(root: string, concurrency: number): string {
  const parent = join(root, 'plugins');
  const dir = join(parent, 'aws');
  mkdirSync(join(dir, 'dist'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(SHIPPED, 'package.json'), 'utf8'));
  pkg.kadende.limits = { ...pkg.kadende.limits, concurrency };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  cpSync(join(SHIPPED, pkg.kadende.main), join(dir, pkg.kadende.main));
  return parent;
}

interface Measured {
  ms: number;
  concurrency: number;
  peak: number;
  throttled: number;
  created: number;
}

async function converge(concurrency: number | 'shipped'): Promise<Measured> {
  const root = mkdtempSync(join(tmpdir(), 'kadende-bench-cloud-'));
  const ec2 = await startFakeEc2({ createDurationMs: CREATE_MS, maxConcurrentCreates: CLOUD_CONCURRENCY, ...FAKE_CREDENTIALS.ec2 });
  // The host hands each worker the manifest's env names from its own process.env.
  const restoreEnv = setProcessEnv(ec2Env(ec2));
  const sourcesEnv = concurrency === 'shipped' ? { ...process.env, KADENDE_PLUGIN_PATH: '' } : { ...process.env, KADENDE_PLUGIN_PATH: pluginCopy(root, concurrency) };
  const store = await LevelStore.open(join(root, 'store'));
  const plugins = new PluginHost(new PluginResolver(localSources(sourcesEnv)));
  const service = new KadendeService(store, plugins);
  try {
    const config = `version: "1"\nname: cloud-bench\ngroups:\n  web:\n    size: ${SIZE}\n    resourcePlugin: { name: aws }\n    resourceProperties: { instanceType: t2.small, image: debian }\n`;
    const start = performance.now();
    const { cluster } = await service.apply(config, 'cloud-bench.yaml');
    await service.reconcile(cluster.id, { wait: true, intervalMs: 50, timeoutMs: 120_000 });
    const ms = performance.now() - start;
    const folder = await plugins.resolver.load(cluster.pins[Object.keys(cluster.pins)[0]!]!);
    const created = heldByEc2(ec2, { 'kadende.cluster': cluster.id }).length;
    if (created !== SIZE) throw new Error(`expected ${SIZE} instances in the fake EC2, found ${created}`);
    return { ms, concurrency: folder.limits.concurrency, peak: ec2.creates.peak, throttled: ec2.creates.throttled, created };
  } finally {
    await plugins.close();
    await store.close();
    await ec2.close();
    restoreEnv();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const name = `scale 0 -> ${SIZE} via aws plugin, fake EC2 (create ${CREATE_MS} ms, ${CLOUD_CONCURRENCY} at once)`;
  const rows: BenchRow[] = [{ benchmark: name, metric: 'physical limit', value: PHYSICAL_MS, unit: 'ms', note: `ceil(${SIZE}/${CLOUD_CONCURRENCY}) x ${CREATE_MS} ms` }];
  for (const variant of ['shipped', CLOUD_CONCURRENCY] as const) {
    const m = await converge(variant);
    const label = variant === 'shipped' ? `manifest as shipped (concurrency ${m.concurrency})` : `temp copy with concurrency ${m.concurrency}`;
    const floor = Math.ceil(SIZE / Math.min(m.concurrency, CLOUD_CONCURRENCY)) * CREATE_MS;
    rows.push(
      { benchmark: name, metric: `convergence, ${label}`, value: round(m.ms), unit: 'ms', note: 'apply -> reconcile until all running; includes worker start' },
      { benchmark: name, metric: `ratio to physical limit, ${label}`, value: round(m.ms / PHYSICAL_MS, 2), unit: 'x', note: `own floor at this concurrency: ${floor} ms` },
      { benchmark: name, metric: `creates in flight at peak, ${label}`, value: m.peak, unit: 'creates', note: `${m.throttled} throttled by the cloud` },
    );
  }
  return rows;
}
