/**
 * `npm run sim -- --seeds 100000 [--from 1] [--all]`: runs that many seeded scenarios; the first
 * failure (every failure with --all) is shrunk and printed with a replay command and its trace.
 * `npm run sim -- --seed N`: replays one seed and prints its shrunk trace.
 */
import { explain, formatFailure, sweep } from './run.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};

const one = flag('seed');
if (one !== undefined) {
  const failure = await explain(Number(one));
  if (!failure) {
    console.log(`seed ${one}: every invariant holds`);
  } else {
    console.log(formatFailure(failure));
    process.exitCode = 1;
  }
} else {
  const count = Number(flag('seeds') ?? 1000);
  const from = Number(flag('from') ?? 1);
  const all = args.includes('--all');
  const result = await sweep(from, count, all ? Infinity : 1);
  const rate = Math.round((result.seeds / result.ms) * 1000);
  console.log(`${result.seeds} seeds from ${from} in ${(result.ms / 1000).toFixed(1)} s (${rate} seeds/s), ${result.failures.length} failing`);
  if (all) {
    // A survey: how many seeds break each invariant, and the first few of them.
    const by = new Map<string, number[]>();
    for (const f of result.failures) by.set(f.invariant, [...(by.get(f.invariant) ?? []), f.seed]);
    for (const [invariant, seeds] of by) console.log(`${invariant}: ${seeds.length} seeds, e.g. ${seeds.slice(0, 10).join(' ')}`);
  } else if (result.failures[0]) {
    console.log(`\n${formatFailure((await explain(result.failures[0].seed))!)}`);
  }
  if (result.failures.length > 0) process.exitCode = 1;
}
