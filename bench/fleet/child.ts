/**
 * One fleet measurement in a process of its own (so RSS is this count's alone):
 *
 *   node --import tsx bench/fleet/child.ts fleet 10000   # N converged clusters, 2 groups x 3
 *   node --import tsx bench/fleet/child.ts group 10000   # one group of N resources
 *
 * Prints one JSON line. Run it under `node --cpu-prof` to profile the pass.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Scheduler } from '../../host/controller/scheduler.js';
import { ServicePasses } from '../../host/controller/service-passes.js';
import { FeedStore } from '../../host/events/feed.js';
import { LevelStore } from '../../host/store/level-store.js';
import { MemoryProvider, seed, serviceOn, template } from './world.js';

const [mode = 'fleet', countArg = '1000', concurrencyArg = '4'] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concurrencyArg);

const du = (dir: string) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
sampler.unref();

const root = mkdtempSync(join(tmpdir(), `kadende-bench-fleet-${mode}-`));
// FLEET_CACHE=0: without LevelStore's record cache, to compare in one run.
const level = await LevelStore.open(join(root, 'store'), process.env.FLEET_CACHE === '0' ? { cachedRecords: 0 } : {});
const store = new FeedStore(level);
const provider = new MemoryProvider();
try {
  const group = (name: string, size: number) => `  ${name}:\n    size: ${size}\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: /tmp/fleet/${name} }\n`;
  const yaml = mode === 'fleet' ? `version: "1"\nname: fleet\ngroups:\n${group('web', 3)}${group('db', 3)}` : `version: "1"\nname: fleet\ngroups:\n${group('web', count)}`;
  const base = await template(store, yaml);
  let started = performance.now();
  const ids = await seed(store, provider, base, mode === 'fleet' ? count : 1, mode === 'fleet' ? 100 : 1);
  const seedMs = performance.now() - started;
  const service = serviceOn(store, provider);

  if (mode === 'fleet') {
    // The daemon's wiring: ServicePasses under the Scheduler. Two rounds, each one pass of every
    // cluster timed from its start to the last pass: the first after a start (records read from
    // disk, in one scan ahead of the passes as the daemon does), the second the steady state
    // (every later pass of a running daemon).
    let passes = 0;
    let failed = 0;
    let done!: () => void;
    const scheduler = new Scheduler(new ServicePasses(service), {
      logger: pino({ level: 'silent' }),
      intervalMs: 3_600_000,
      concurrency,
      onPass: (_id, outcome) => {
        passes += 1;
        if (outcome !== 'converged') failed += 1;
        if (passes === count) done();
      },
    });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    const rounds: Array<{ passMs: number; cpuMs: number }> = [];
    let warmMs = 0;
    for (let round = 0; round < 2; round += 1) {
      passes = 0;
      const all = new Promise<void>((resolve) => (done = resolve));
      started = performance.now();
      const cpu = process.cpuUsage();
      // As the daemon starts: every cluster's records read ahead in one scan, then the passes.
      if (round === 0) {
        await store.warmRecords();
        warmMs = performance.now() - started;
        scheduler.start();
      }
      else for (const id of ids) scheduler.request(id);
      await all;
      const used = process.cpuUsage(cpu);
      rounds.push({ passMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 });
    }
    await scheduler.stop();
    const rssAfter = process.memoryUsage().rss;
    const [cold, warm] = rounds as [{ passMs: number; cpuMs: number }, { passMs: number; cpuMs: number }];
    console.log(JSON.stringify({ mode, count, concurrency, seedMs, coldMs: cold.passMs, coldCpuMs: cold.cpuMs, warmMs, passMs: warm.passMs, cpuMs: warm.cpuMs, notConverged: failed, rssBefore, rssAfter, peakRss, describeMs: provider.describeMs, storeBytes: du(join(root, 'store')) }));
  } else {
    const samples: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      provider.describeMs = 0;
      started = performance.now();
      const report = await service.reconcile(ids[0]!);
      const total = performance.now() - started;
      if (!report.converged) throw new Error('the one-group cluster did not stay converged');
      samples.push(total - provider.describeMs);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    console.log(JSON.stringify({ mode, count, seedMs, first: samples[0], p50: sorted[Math.floor(sorted.length / 2)], min: sorted[0], peakRss, storeBytes: du(join(root, 'store')) }));
  }
} finally {
  await store.close();
  rmSync(root, { recursive: true, force: true });
}
