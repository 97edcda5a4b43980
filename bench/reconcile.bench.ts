/**
 * A converged reconcile of 10 groups x 100 resources through the real file
 * plugin and LevelDB store: 10 describes (each reading 100 files), 10 plans,
 * no actions. The first scale-up from zero is printed beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KadendeService } from '../host/controller/service.js';
import { PluginHost } from '../host/plugins/host.js';
import { localSources, PluginResolver } from '../host/plugins/resolve.js';
import { LevelStore } from '../host/store/level-store.js';
import { percentile, round, type BenchRow } from './harness.js';

const GROUPS = 10;
const SIZE = 100;

export async function run(): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'kadende-bench-reconcile-'));
  const store = await LevelStore.open(join(root, 'store'));
  const plugins = new PluginHost(new PluginResolver(localSources()));
  const service = new KadendeService(store, plugins);
  try {
    const groups = Array.from(
      { length: GROUPS },
      (_, i) => `  g${i}:\n    size: ${SIZE}\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${join(root, `g${i}`)} }\n`,
    ).join('');
    await service.apply(`version: "1"\nname: bench\ngroups:\n${groups}`, 'bench.yaml');
    let start = performance.now();
    await service.reconcile('bench', { wait: true, intervalMs: 0 });
    const scaleUp = performance.now() - start;
    const samples: number[] = [];
    for (let i = 0; i < 15; i += 1) {
      start = performance.now();
      const report = await service.reconcile('bench');
      samples.push(performance.now() - start);
      if (!report.converged) throw new Error('the benchmark cluster did not stay converged');
    }
    const name = `reconcile ${GROUPS} groups x ${SIZE} resources (file plugin, LevelDB)`;
    return [
      { benchmark: name, metric: 'converged pass p50', value: round(percentile(samples, 50)), unit: 'ms', note: '15 passes' },
      { benchmark: name, metric: 'converged pass max', value: round(Math.max(...samples)), unit: 'ms' },
      { benchmark: name, metric: 'scale-up from 0 to 1000', value: round(scaleUp), unit: 'ms', note: 'create + confirm passes' },
    ];
  } finally {
    await plugins.close();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}
