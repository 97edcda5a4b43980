/**
 * Plugin call round trip: describe through a PluginPool (contract schema checks
 * on request and answer, p-limit, timeout signal, env isolation), in its
 * sandbox process (the default) and in-process, next to the same answer from a
 * bare piscina pool with the same thread count. Also the cost of a sandbox's
 * start: its first call.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { readPluginFolder } from '../host/plugins/manifest.js';
import { PluginPool } from '../host/plugins/pool.js';
import { percentile, round, type BenchRow } from './harness.js';

const SEQUENTIAL = 3000;
const PARALLEL_CALLS = 30_000;
const IN_FLIGHT = 64;

async function measure(name: string, call: () => Promise<unknown>): Promise<BenchRow[]> {
  for (let i = 0; i < 500; i += 1) await call(); // warm up threads and JIT
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i += 1) {
    const start = performance.now();
    await call();
    latencies.push((performance.now() - start) * 1000);
  }
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < PARALLEL_CALLS) {
        next += 1;
        await call();
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return [
    { benchmark: name, metric: 'round trip p50 (one at a time)', value: round(percentile(latencies, 50)), unit: 'us' },
    { benchmark: name, metric: 'round trip p99 (one at a time)', value: round(percentile(latencies, 99)), unit: 'us' },
    { benchmark: name, metric: `throughput (${IN_FLIGHT} in flight)`, value: Math.round(PARALLEL_CALLS / seconds), unit: 'calls/s' },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const folder = await readPluginFolder(new URL('./fixtures/echo-plugin/', import.meta.url).pathname);
  const firstCallMs: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const cold = new PluginPool(folder, { isolation: 'sandbox' });
    const start = performance.now();
    await cold.call('describe', { tags: {}, properties: {} });
    firstCallMs.push(performance.now() - start);
    await cold.close();
  }
  const pool = new PluginPool(folder, { isolation: 'sandbox' });
  const inProcess = new PluginPool(folder, { isolation: 'in-process' });
  const request = { tags: { 'kadende.cluster': 'c', 'kadende.group': 'g' }, properties: {} };
  const threads = Math.max(1, Math.min(folder.limits.concurrency, availableParallelism()));
  const bare = new Piscina({
    filename: new URL('./fixtures/bare-worker.mjs', import.meta.url).href,
    maxThreads: threads,
    minThreads: threads,
    concurrentTasksPerWorker: Math.ceil(folder.limits.concurrency / threads),
    execArgv: [],
  });
  bare.on('error', () => {});
  try {
    const rows: BenchRow[] = [{ benchmark: 'plugin sandbox start', metric: 'first call of a new sandbox (p50 of 5)', value: round(percentile(firstCallMs, 50)), unit: 'ms' }];
    rows.push(...(await measure('plugin call via PluginPool, sandbox process (default)', () => pool.call('describe', request))));
    rows.push(...(await measure('plugin call via PluginPool, in-process threads', () => inProcess.call('describe', request))));
    rows.push(...(await measure('plugin call via bare piscina (baseline)', () => bare.run(request))));
    return rows;
  } finally {
    await pool.close();
    await inProcess.close();
    await bare.destroy();
  }
}
