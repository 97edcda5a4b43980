/**
 * Speed at fleet scale (issue 15). Each figure comes from a process of its own
 * (bench/fleet/child.ts), so RSS is that count's alone:
 *
 * - a fleet of converged clusters (2 groups x 3 resources each) in a LevelStore, passed once
 *   each by the daemon's Scheduler over ServicePasses and KadendeService, on an in-memory
 *   provider whose describe answers from a map: the pass is Kadende's own cost;
 * - one group of N resources: a converged pass's own cost (planning, store reads and writes),
 *   the describe's time subtracted.
 *
 * FLEET_COUNTS (default "1000,10000") and GROUP_SIZES (default "1000,10000") choose the sizes;
 * FLEET_CONCURRENCY the scheduler's passes at once (default 4, the daemon's); FLEET_UNCACHED=0 skips
 * the largest fleet's run without LevelStore's record cache.
 * Goals: 10,000 clusters <= 10 s, RSS <= 400 MB, linear growth; a 10,000-resource group <= 200 ms.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { round, type BenchRow } from './harness.js';

const CHILD = fileURLToPath(new URL('./fleet/child.ts', import.meta.url));
const list = (value: string | undefined, fallback: number[]) => (value ? value.split(',').map(Number) : fallback);

function child(args: string[], env: NodeJS.ProcessEnv = {}): Record<string, number> {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, ...args], { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const MB = 1024 * 1024;
const load = () => `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const concurrency = process.env.FLEET_CONCURRENCY ?? '4';
  const fleet = list(process.env.FLEET_COUNTS, [1000, 10_000]).map((n) => child(['fleet', String(n), concurrency]));
  const name = `fleet: N converged clusters x 2 groups x 3, LevelDB, in-memory describe, ${concurrency} passes at once`;
  const smallest = fleet[0]!;
  for (const m of fleet) {
    const n = m.count!;
    rows.push(
      { benchmark: name, metric: `steady pass of all, N=${n}`, value: round(m.passMs!), unit: 'ms', note: `${n === 10_000 ? 'goal <= 10000 ms; ' : ''}${round((m.passMs! * 1000) / n)} us/cluster; CPU ${round(m.cpuMs!)} ms; ${load()}` },
      { benchmark: name, metric: `first pass after start, N=${n}`, value: round(m.coldMs!), unit: 'ms', note: `records read from disk, ${round(m.warmMs!)} ms of it the scan ahead (LevelStore.warmRecords); CPU ${round(m.coldCpuMs!)} ms` },
      { benchmark: name, metric: `peak RSS during the pass, N=${n}`, value: round(m.peakRss! / MB), unit: 'MB', note: `goal <= 400 MB; ${round(m.rssBefore! / MB)} MB before (incl. the in-memory provider)` },
      { benchmark: name, metric: `store on disk, N=${n}`, value: round(m.storeBytes! / MB, 2), unit: 'MB', note: `seeded in ${round(m.seedMs! / 1000, 1)} s` },
    );
    if (m !== smallest) {
      rows.push({
        benchmark: name,
        metric: `growth per cluster, N=${n} vs N=${smallest.count}`,
        value: round(m.passMs! / n / (smallest.passMs! / smallest.count!), 2),
        unit: 'x',
        note: `goal ~1.0 (linear); in CPU time ${round(m.cpuMs! / n / (smallest.cpuMs! / smallest.count!), 2)}x`,
      });
    }
  }
  if (process.env.FLEET_UNCACHED !== '0') {
    // The same steady pass with LevelStore's record cache off: what every pass cost before it.
    const n = fleet[fleet.length - 1]!.count!;
    const m = child(['fleet', String(n), concurrency], { FLEET_CACHE: '0' });
    rows.push({ benchmark: name, metric: `steady pass of all, N=${n}, record cache off`, value: round(m.passMs!), unit: 'ms', note: `CPU ${round(m.cpuMs!)} ms; ${load()}` });
  }
  const groupName = 'one group of N resources, converged pass (describe time excluded), LevelDB';
  for (const n of list(process.env.GROUP_SIZES, [1000, 10_000])) {
    const m = child(['group', String(n)]);
    rows.push({ benchmark: groupName, metric: `pass p50 of 8, N=${n}`, value: round(m.p50!), unit: 'ms', note: `${n === 10_000 ? 'goal <= 200 ms; ' : ''}min ${round(m.min!)} ms; first ${round(m.first!)} ms; ${load()}` });
  }
  return rows;
}
