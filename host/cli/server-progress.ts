/**
 * Progress of work a daemon does (`reconcile --wait`, `delete cluster` with --server): a callback
 * cannot travel over HTTP, so while the request runs the CLI polls the status the daemon's passes
 * record (GET /v1/clusters/:ref/status) and shows each new pass.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, type KadendeOperations } from '../api/index.js';
import type { ReconcileReport } from '../controller/index.js';
import type { Progress } from './progress.js';

/** Returns what ends the following, given the request's last report (shown unless a poll showed it: a short wait ends between polls). */
export function followServerProgress(s: KadendeOperations, ref: string, progress: Progress | undefined, intervalMs = 1000): (last?: ReconcileReport) => void {
  if (!(s instanceof ApiClient) || !progress) return () => {};
  const stop = new AbortController();
  const started = Date.now();
  let pass = 0;
  void (async () => {
    // A pass from before this request is not its progress.
    let seen = (await s.lastStatus(ref).catch(() => undefined))?.finishedAt;
    while (!stop.signal.aborted) {
      await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) return;
      // A failed look (the cluster just deleted, a blip) only skips this tick: the request itself reports errors.
      const status = await s.lastStatus(ref).catch(() => undefined);
      if (!status || status.source !== 'last-pass' || status.finishedAt === seen || stop.signal.aborted) continue;
      seen = status.finishedAt;
      progress.update({ report: status.report, pass: (pass += 1), elapsedMs: Date.now() - started });
    }
  })();
  return (last) => {
    stop.abort();
    // The appended form repeats no line; the redrawn one simply draws the final state.
    if (last) progress.update({ report: last, pass: (pass += 1), elapsedMs: Date.now() - started });
  };
}
