/**
 * Runs seeds, shrinks a failure, and prints a replay command and the trace of
 * the shrunk run. Used by `npm run sim` (cli.ts) and by sim.test.ts.
 */
import { scenarioFor, simplifications, type Scenario } from './scenario.js';
import { World, type RunResult } from './world.js';

export async function runScenario(scenario: Scenario, trace = false): Promise<RunResult> {
  return new World(scenario, { trace }).run();
}

export async function runSeed(seed: number, trace = false): Promise<RunResult> {
  return runScenario(scenarioFor(seed), trace);
}

/** Simplifies a failing scenario as long as it still breaks the same invariant (greedy, as fast-check shrinks). */
export async function shrink(scenario: Scenario, invariant: string): Promise<{ scenario: Scenario; runs: number }> {
  let current = scenario;
  let runs = 0;
  for (let improved = true; improved && runs < 500; ) {
    improved = false;
    for (const candidate of simplifications(current)) {
      runs += 1;
      const result = await runScenario(candidate);
      if (result.violation?.invariant === invariant) {
        current = candidate;
        improved = true;
        break;
      }
    }
  }
  return { scenario: current, runs };
}

export interface Failure {
  seed: number;
  invariant: string;
  message: string;
  shrunk: Scenario;
  trace: string[];
  replay: string;
}

/** The failure report for one failing seed: shrunk scenario, its trace, one line to replay it. */
export async function explain(seed: number): Promise<Failure | undefined> {
  const first = await runSeed(seed);
  if (!first.violation) return undefined;
  const { scenario } = await shrink(scenarioFor(seed), first.violation.invariant);
  const shrunk = await runScenario(scenario, true);
  const violation = shrunk.violation ?? first.violation;
  return {
    seed,
    invariant: violation.invariant,
    message: violation.message,
    shrunk: scenario,
    trace: shrunk.trace,
    replay: `npm run sim -- --seed ${seed}`,
  };
}

export interface SweepResult {
  seeds: number;
  failures: Array<{ seed: number; invariant: string; message: string }>;
  ms: number;
}

export async function sweep(first: number, count: number, stopAfter = 1): Promise<SweepResult> {
  const started = performance.now();
  const failures: SweepResult['failures'] = [];
  // The simulated faults throw thousands of errors whose stacks nobody reads: capturing them cost ~15% of a sweep.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (let seed = first; seed < first + count; seed += 1) {
      const result = await runSeed(seed);
      if (result.violation) {
        failures.push({ seed, ...result.violation });
        if (failures.length >= stopAfter) return { seeds: seed - first + 1, failures, ms: performance.now() - started };
      }
    }
    return { seeds: count, failures, ms: performance.now() - started };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

export function formatFailure(f: Failure): string {
  return [
    `seed ${f.seed} breaks ${f.invariant}: ${f.message}`,
    `replay: ${f.replay}`,
    `shrunk scenario: ${JSON.stringify(f.shrunk)}`,
    'trace of the shrunk run:',
    ...f.trace.map((l) => `  ${l}`),
  ].join('\n');
}
