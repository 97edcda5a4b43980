// The scheduler's rules, against a stand-in ClusterReconciler whose passes we control:
// never two passes of one cluster at once, a global limit, and a failing
// cluster backing off on its own without slowing the others.
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterReconciler, PassResult } from '../../host/controller/pass.js';
import { Scheduler } from '../../host/controller/scheduler.js';

interface Stand {
  reconciler: ClusterReconciler;
  passes: Map<string, number[]>;
  peakPerCluster: Map<string, number>;
  peak: () => number;
  /** Passes of a cluster running right now. */
  running: (id: string) => number;
}

/** Passes that take `ms` and throw for the ids in `failing`. */
function standIn(ids: string[], ms: number, failing = new Set<string>()): Stand {
  const passes = new Map<string, number[]>(ids.map((id) => [id, []]));
  const running = new Map<string, number>();
  const peakPerCluster = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  const reconciler: ClusterReconciler = {
    clusterIds: async () => ids,
    async reconcile({ clusterId: id }): Promise<PassResult> {
      passes.get(id)!.push(Date.now());
      running.set(id, (running.get(id) ?? 0) + 1);
      peakPerCluster.set(id, Math.max(peakPerCluster.get(id) ?? 0, running.get(id)!));
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        await sleep(ms);
        if (failing.has(id)) throw Object.assign(new Error('the plugin is down'), { code: 'KADENDE_ERR_PLUGIN_CRASHED' });
        return { outcome: 'converged', clusterName: id };
      } finally {
        running.set(id, running.get(id)! - 1);
        inFlight -= 1;
      }
    },
  };
  return { reconciler, passes, peakPerCluster, peak: () => peak, running: (id) => running.get(id) ?? 0 };
}

const logger = pino({ level: 'silent' });
let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop(5_000);
  scheduler = undefined;
});

describe('Scheduler', () => {
  it('never runs two passes of one cluster at once, however often a pass is requested', async () => {
    const stand = standIn(['a'], 60);
    scheduler = new Scheduler(stand.reconciler, { logger, intervalMs: 60_000, tickMs: 10 });
    scheduler.start();
    for (let i = 0; i < 20; i += 1) {
      scheduler.request('a');
      await sleep(5);
    }
    // Requests made while a pass ran are folded into one more pass after it.
    await expect.poll(() => stand.passes.get('a')!.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect(stand.peakPerCluster.get('a')).toBe(1);
    expect(stand.passes.get('a')!.length).toBeLessThan(20);
  });

  it('runs exclusive work (an API reconcile) only between passes of that cluster', async () => {
    const stand = standIn(['a'], 80);
    scheduler = new Scheduler(stand.reconciler, { logger, intervalMs: 60_000, tickMs: 10 });
    scheduler.start();
    await expect.poll(() => stand.running('a'), { interval: 5 }).toBe(1);
    // The first pass is running now: the exclusive work starts after it, never beside it.
    await scheduler.exclusive('a', () => stand.reconciler.reconcile({ clusterId: 'a' }));
    expect(stand.passes.get('a')).toHaveLength(2);
    expect(stand.peakPerCluster.get('a')).toBe(1);
  });

  it('keeps to the global limit of passes at once', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const stand = standIn(ids, 50);
    scheduler = new Scheduler(stand.reconciler, { logger, intervalMs: 60_000, tickMs: 10, concurrency: 2 });
    scheduler.start();
    await expect.poll(() => ids.every((id) => stand.passes.get(id)!.length >= 1), { timeout: 5_000 }).toBe(true);
    expect(stand.peak()).toBe(2);
  });

  it('backs a failing cluster off, doubling, while the others keep their interval', async () => {
    const stand = standIn(['sick', 'well'], 5, new Set(['sick']));
    scheduler = new Scheduler(stand.reconciler, { logger, intervalMs: 100, tickMs: 10 });
    scheduler.start();
    await expect.poll(() => stand.passes.get('sick')!.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const sick = stand.passes.get('sick')!;
    const gaps = sick.slice(1).map((t, i) => t - sick[i]!);
    // interval x 2, x 4, x 8: each wait at least its backoff (a busy machine only lengthens them).
    gaps.slice(0, 3).forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(100 * 2 ** (i + 1) - 15));
    // Meanwhile the healthy cluster was reconciled on its own schedule, many times more.
    expect(stand.passes.get('well')!.length).toBeGreaterThan(sick.length * 2);
  });
});
