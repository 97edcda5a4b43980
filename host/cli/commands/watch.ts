/**
 * `get ... --watch`: the listing again whenever it changes, until Ctrl-C (exit 0). It polls, here
 * or through a daemon alike, and opens the local store only for each look, so a watch never holds
 * the store another command or the daemon needs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { formatted } from '../program.js';
import { interruption } from './follow.js';

/** Between looks; KADENDE_WATCH_INTERVAL_MS tunes it (tests shorten it). */
const intervalMs = () => Number(process.env.KADENDE_WATCH_INTERVAL_MS) || 2000;

export async function watchListing<T>(look: () => Promise<T>, human: (data: T) => string, wide: (data: T) => string = human): Promise<void> {
  const { signal } = interruption();
  let last: { data: T } | undefined;
  while (!signal.aborted) {
    const data = await look();
    // On a change of the data, not of the text: an AGE column alone does not re-print.
    if (!last || !isDeepStrictEqual(last.data, data)) {
      process.stdout.write(`${last ? '\n' : ''}${formatted(data, () => human(data), () => wide(data))}\n`);
      last = { data };
    }
    await sleep(intervalMs(), undefined, { signal }).catch(() => undefined);
  }
}
