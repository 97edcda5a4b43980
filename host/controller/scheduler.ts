/**
 * Keeps every stored cluster converged from inside the daemon: a reconcile pass
 * per cluster on an interval, at once when asked (apply, API), never two passes
 * of one cluster at a time, at most `concurrency` passes at once over all
 * clusters. A cluster whose pass fails backs off on its own schedule, so it
 * neither hogs the slots nor delays the others.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { exponentialBackoff } from '@kadende/plugin-sdk';
import type { Logger } from 'pino';
import { KeyedLock } from './keyed-lock.js';
import { TerminalPassError, type ClusterReconciler, type PassOutcome, type PassResult } from './pass.js';
import { errorCode, errorMessage } from '../../errors/index.js';

export interface SchedulerOptions {
  logger: Logger;
  /** Between passes of a converged cluster. */
  intervalMs?: number;
  /** Passes running at once, over all clusters. */
  concurrency?: number;
  /** Longest pause of a failing cluster. */
  maxBackoffMs?: number;
  /** How often the list of clusters is checked for passes that are due. */
  tickMs?: number;
  /** Every pass: its outcome ('error' when it threw), and the result when it returned one. */
  onPass?: (clusterId: string, outcome: PassOutcome | 'error', durationMs: number, result?: PassResult) => void;
}

interface ClusterState {
  nextAt: number;
  failures: number;
  /** Queued or running. */
  busy: boolean;
  /** Asked for while busy: run again as soon as the current pass ends. */
  requested: boolean;
}

export class Scheduler {
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly tickMs: number;
  private readonly limit: LimitFunction;
  private readonly states = new Map<string, ClusterState>();
  private readonly locks = new KeyedLock();
  private readonly inflight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private tickAgain = false;
  private stopping = false;

  constructor(
    private readonly reconciler: ClusterReconciler,
    private readonly options: SchedulerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.maxBackoffMs = Math.max(options.maxBackoffMs ?? 600_000, this.intervalMs);
    this.tickMs = options.tickMs ?? Math.min(1000, this.intervalMs);
    this.limit = pLimit(options.concurrency ?? 4);
  }

  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
    this.tick();
  }

  /** A pass of this cluster as soon as a slot is free (after the current one, if one is running). */
  request(clusterId: string): void {
    if (this.stopping) return;
    const state = this.state(clusterId);
    if (state.busy) state.requested = true;
    else state.nextAt = 0;
    this.tick();
  }

  /**
   * Runs `work` while no scheduled pass (or other exclusive work) of the same
   * cluster runs: the API's reconcile and delete go through here too.
   */
  exclusive<T>(clusterId: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(clusterId, work);
  }

  get running(): number {
    return this.inflight.size;
  }

  /** Takes no new work, drops queued passes, and waits up to `graceMs` for running ones. */
  async stop(graceMs = 10_000): Promise<boolean> {
    this.stopping = true;
    clearInterval(this.timer);
    this.limit.clearQueue();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled([...this.inflight, ...this.locks.pending()]).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    return finished;
  }

  private state(clusterId: string): ClusterState {
    let state = this.states.get(clusterId);
    if (!state) {
      state = { nextAt: 0, failures: 0, busy: false, requested: false };
      this.states.set(clusterId, state);
    }
    return state;
  }

  private tick(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    void this.schedule()
      .catch((error: Error) => this.options.logger.error({ err: { message: error.message } }, 'cannot list clusters to schedule'))
      .finally(() => {
        this.ticking = false;
        if (this.tickAgain) {
          this.tickAgain = false;
          this.tick();
        }
      });
  }

  private async schedule(): Promise<void> {
    const ids = await this.reconciler.clusterIds();
    const now = Date.now();
    const present = new Set(ids);
    for (const [id, state] of this.states) if (!present.has(id) && !state.busy) this.states.delete(id);
    for (const id of ids) {
      const state = this.state(id);
      if (this.stopping || state.busy || state.nextAt > now) continue;
      state.busy = true;
      void this.limit(() => this.track(this.pass(id, state)));
    }
  }

  private track(pass: Promise<void>): Promise<void> {
    this.inflight.add(pass);
    return pass.finally(() => this.inflight.delete(pass));
  }

  private async pass(clusterId: string, state: ClusterState): Promise<void> {
    if (this.stopping) return;
    const started = Date.now();
    try {
      const result = await this.exclusive(clusterId, () => this.reconciler.reconcile({ clusterId }));
      this.options.onPass?.(clusterId, result.outcome, Date.now() - started, result);
      if (result.outcome === 'failed') {
        state.failures += 1;
        state.nextAt = Date.now() + this.backoff(state.failures);
        this.options.logger.warn(
          { cluster: result.clusterName, clusterId, failures: state.failures, retryInMs: state.nextAt - Date.now(), errors: result.errors },
          'reconcile did not succeed; backing off',
        );
      } else {
        if (state.failures > 0) this.options.logger.info({ cluster: result.clusterName, clusterId }, 'reconcile succeeds again');
        state.failures = 0;
        const after = result.outcome === 'progressing' ? Math.min(result.requeueAfterMs ?? this.intervalMs, this.intervalMs) : this.intervalMs;
        state.nextAt = Date.now() + after;
      }
    } catch (error) {
      this.options.onPass?.(clusterId, 'error', Date.now() - started);
      if (error instanceof TerminalPassError) {
        // Deleted while queued: nothing to retry.
        this.states.delete(clusterId);
      } else {
        state.failures += 1;
        state.nextAt = Date.now() + this.backoff(state.failures);
        this.options.logger.error({ clusterId, code: errorCode(error), err: { message: errorMessage(error) }, failures: state.failures }, 'reconcile failed; backing off');
      }
    } finally {
      state.busy = false;
      if (state.requested) {
        state.requested = false;
        state.nextAt = 0;
        this.tick();
      }
    }
  }

  /** interval x 2, x 4, ... up to maxBackoff. */
  private backoff(failures: number): number {
    return exponentialBackoff(failures, this.intervalMs, this.maxBackoffMs, 20);
  }
}
