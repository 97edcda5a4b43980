/**
 * The simulator in `npm test`: the seeds that found bugs (each a regression
 * test), the rolling update as a scenario of its own, replay
 * determinism, and a sweep: SIM_SEEDS seeds, else 10,000 in CI (CI=true, a quiet
 * machine: about 15 s) and 2,000 on a developer's (`npm run sim` runs any number).
 */
import { describe, expect, it } from 'vitest';
import { explain, formatFailure, runScenario, runSeed, sweep } from './run.js';
import { NO_FAULTS, scenarioFor, type Scenario } from './scenario.js';

/**
 * Seeds that break an invariant when the fix beside them is reverted (each checked by reverting it:
 * the first failing seed of a sweep against the final code, so a seed stays a regression test).
 */
const REGRESSIONS: Array<[number, string]> = [
  [2, 'surge: a rolling step (maxSurge 0, maxUnavailable 1) created the replacement while the delete ran (issue 9)'],
  [23, 'surge: a record dropped as surplus while its create was in flight: an orphan beside its replacement'],
  [51, 'event: an orphan delete reached the provider before any event said so'],
  [162, 'surge: an orphan (a non-idempotent create) did not occupy a slot'],
  [1704, 'surge: a failed record whose create had landed was superseded, its resource an orphan beside the replacement'],
  [2392, "event: a resource removed while a crashed controller's create of it could still land, and made again"],
  [5595, 'availability: maxSurge lowered mid-update made a scale-in delete a ready old resource'],
  [11311, 'convergence: the bound for a slow rolling update (the bound grew, Kadende was right)'],
  [17529, "surge: a lost record whose create was retried on a non-idempotent provider was forgotten while the first attempt's resource was still unlisted, and a rolling step surged beside it"],
  [71522, 'surge: a deleted record was forgotten while the retry of its create, sent before a host crash, could still land (non-idempotent provider), and its replacement was made beside it'],
  [97894, "surge: a record whose lost create was retried on a non-idempotent provider was forgotten once deleted, while the first attempt's resource was still unlisted"],
];

const expectHolds = async (seed: number) => {
  const result = await runSeed(seed);
  if (result.violation) expect.fail(formatFailure((await explain(seed))!));
};

describe('simulator', () => {
  it('holds a rolling update of size 3, maxSurge 1, maxUnavailable 0 to 4 resources at every instant (issue 9)', async () => {
    const scenario: Scenario = {
      ...scenarioFor(1),
      size: 3,
      maxSurge: 1,
      maxUnavailable: 0,
      // The create lands before the delete is done: the pre-fix planner held N+2 = 5 here.
      createMs: 1_000,
      deleteMs: 10_000,
      describeMs: 100,
      jitterMs: 0,
      listLagMs: 0,
      lingerMs: 0,
      bootMs: 0,
      faults: NO_FAULTS,
      edits: [{ pass: 4, kind: 'spec', value: 2 }],
      faultPasses: 4,
    };
    const result = await runScenario(scenario, true);
    expect(result.violation).toBeUndefined();
    const held = result.trace.flatMap((line) => [...line.matchAll(/\[(\d+) held\]/g)].map((m) => Number(m[1])));
    expect(Math.max(...held)).toBe(4);
    // Three old ones replaced one at a time: 3 creates at the start, 3 in the update.
    expect(result.trace.filter((l) => / create \S+ -> i-/.test(l))).toHaveLength(6);
  });

  it.each(REGRESSIONS)('seed %i: %s', async (seed) => {
    await expectHolds(seed);
  });

  it('replays a seed exactly', async () => {
    const seed = 3;
    const [a, b] = [await runSeed(seed, true), await runSeed(seed, true)];
    expect(a.trace.length).toBeGreaterThan(10);
    expect(b.trace).toEqual(a.trace);
  });

  const seeds = Number(process.env.SIM_SEEDS ?? (process.env.CI ? 10_000 : 2000));
  it(`keeps every invariant over ${seeds} seeded scenarios`, { timeout: 300_000 }, async () => {
    const result = await sweep(1, seeds);
    if (result.failures[0]) expect.fail(formatFailure((await explain(result.failures[0].seed))!));
    expect(result.seeds).toBe(seeds);
  });
});
