/**
 * The calls a plugin has in flight against one provider account, over every
 * pool (version) and group using it: a queue whose width is the AIMD policy's
 * limit (aimd.ts). A provider's rate limits are per account, so the limiter is
 * keyed by the plugin's name and a digest of the environment it is given (its
 * credentials), not by pool: two groups, or two versions of a plugin, sharing
 * an account share one limit.
 */
import { createHash } from 'node:crypto';
import { AimdPolicy, type SentUnder } from './aimd.js';
import { kadendeError } from '../../errors/index.js';

/** Where a limit without an operator's setting starts (below the ceiling): slow start finds the rest. */
export const INITIAL_IN_FLIGHT = 16;

export interface Slot extends SentUnder {
  released: boolean;
  /** What the call is (its answers' usual latency is per method) and when it got its slot. */
  method: string;
  startedAt: number;
  /** Counted as admitted by the provider before it answered (slow start's admission clock): its answer grows nothing more. */
  admitted?: boolean;
}

/** An answer slower than this many times its method's usual latency is queueing somewhere (in the plugin, at the provider): no reason to send more. */
export const QUEUEING_FACTOR = 2;

/**
 * Slow start's admission clock: a call not refused within this long of its start was admitted by
 * the provider. Refusals come back at a round trip's pace, creates at the provider's (seconds, on
 * a real cloud): waiting for answers before sending more leaves most of a scale-up's first round
 * unused. At least ADMISSION_FLOOR_MS, and QUEUEING_FACTOR times the account's fastest answer, so
 * that refusals queued behind a burst in the plugin itself still arrive first.
 */
export const ADMISSION_FLOOR_MS = 200;

/**
 * A method's usual latency: the fastest answer seen, drifting slowly towards
 * slower ones (1% a call), so a provider that became slower for good is not
 * compared with its best day forever.
 */
class UsualLatency {
  private readonly usual = new Map<string, number>();
  /** The fastest answer of any method: the round trip to the provider, at best. */
  fastest = Infinity;

  /** Records an answer's latency; whether it came as fast as usual. */
  fast(method: string, ms: number): boolean {
    const before = this.usual.get(method);
    const usual = before === undefined ? ms : Math.min(ms, before + (ms - before) * 0.01);
    this.usual.set(method, usual);
    this.fastest = Math.min(this.fastest, ms);
    return ms <= QUEUEING_FACTOR * Math.max(usual, 1);
  }
}

export interface LimiterStats {
  /** The account's key: plugin name and credentials digest. */
  key: string;
  plugin: string;
  limit: number;
  ceiling: number;
  inFlight: number;
  queued: number;
  throttled: number;
}

export class CallLimiter {
  private running = 0;
  /** The slots in flight, oldest first (for the admission clock). */
  private readonly slots = new Set<Slot>();
  private admissionTimer: NodeJS.Timeout | undefined;
  private readonly waiting: Array<() => void> = [];
  private readonly latency = new UsualLatency();
  /** No call starts before this (performance.now() time): the provider's Retry-After. */
  private heldUntil = 0;
  private holdTimer: NodeJS.Timeout | undefined;
  /** Throttling answers seen, for metrics. */
  throttledCount = 0;

  constructor(
    readonly key: string,
    readonly plugin: string,
    readonly policy: AimdPolicy,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  /** A slot for one call; `retry` goes to the front of the queue (it has waited already). */
  acquire(method: string, retry = false): Promise<Slot> {
    return new Promise<Slot>((resolve) => {
      const start = () => {
        this.running += 1;
        const slot: Slot = { inFlight: this.running, round: this.policy.round, released: false, method, startedAt: performance.now() };
        this.slots.add(slot);
        resolve(slot);
      };
      if (this.running < this.policy.limit && this.waiting.length === 0 && !this.held()) return start();
      if (retry) this.waiting.unshift(start);
      else this.waiting.push(start);
      if (this.held()) this.drain();
      else this.clockAdmissions();
    });
  }

  /** Ends a call: `answered` (the provider said something other than "slow down"), `throttled`, or `other` (no news of the provider: a timeout, a crash). */
  release(slot: Slot, outcome: 'answered' | 'throttled' | 'other'): void {
    if (slot.released) return;
    slot.released = true;
    // Grow only while the limit is in use (calls wait, or it is nearly full) and answers come as fast as usual.
    const saturated = this.waiting.length > 0 || this.running >= this.policy.limit - 1;
    const inFlight = this.running;
    this.running -= 1;
    this.slots.delete(slot);
    if (outcome === 'answered') {
      const fast = this.latency.fast(slot.method, performance.now() - slot.startedAt);
      // Counted once in slow start; after a throttle its answer is news again (the limit climbs back to what fits).
      this.policy.answered(saturated && fast && !(slot.admitted && this.policy.inSlowStart), inFlight);
    }
    if (outcome === 'throttled') {
      this.throttledCount += 1;
      this.policy.throttled(slot);
    }
    this.drain();
  }

  /**
   * The provider asked the account to wait (a Retry-After on a throttle): no call starts for `ms`;
   * calls in flight go on. Holds overlap to the latest end.
   */
  hold(ms: number): void {
    this.heldUntil = Math.max(this.heldUntil, performance.now() + ms);
    this.drain();
  }

  private held(): boolean {
    return performance.now() < this.heldUntil;
  }

  private drain(): void {
    if (this.held()) {
      // What waits starts when the hold ends (a timer may fire a little early: it checks again). The
      // timer keeps the process up: a one-shot reconcile's calls are waiting on it.
      clearTimeout(this.holdTimer);
      if (this.waiting.length > 0) this.holdTimer = setTimeout(() => this.drain(), Math.ceil(this.heldUntil - performance.now()) + 1);
      return;
    }
    while (this.waiting.length > 0 && this.running < this.policy.limit) this.waiting.shift()!();
    this.clockAdmissions();
  }

  /**
   * In slow start, with calls waiting for a full limit: once the oldest call in flight has gone
   * unrefused for the admission wait, every call that old counts as answered for growth (once:
   * its real answer grows nothing more), and what waits is sent. A throttle ends slow start and
   * with it this clock; an account that has answered nothing yet has no round trip to go by.
   */
  private clockAdmissions(): void {
    if (this.admissionTimer || !this.policy.inSlowStart || this.waiting.length === 0 || this.latency.fastest === Infinity) return;
    if (this.policy.limit >= this.policy.ceiling) return;
    const oldest = this.oldestUnadmitted();
    if (!oldest) return;
    const waitMs = Math.max(ADMISSION_FLOOR_MS, QUEUEING_FACTOR * this.latency.fastest);
    const round = this.policy.round;
    this.admissionTimer = setTimeout(() => {
      this.admissionTimer = undefined;
      if (!this.policy.inSlowStart || this.policy.round !== round || this.waiting.length === 0) return;
      const admittedBefore = performance.now() - waitMs;
      for (const slot of this.slots) {
        if (slot.admitted || slot.startedAt > admittedBefore) continue;
        slot.admitted = true;
        this.policy.answered(true, this.running);
      }
      this.drain();
    }, Math.max(1, Math.ceil(oldest.startedAt + waitMs - performance.now())));
    // Calls in flight keep the process up; this clock alone must not.
    this.admissionTimer.unref();
  }

  private oldestUnadmitted(): Slot | undefined {
    for (const slot of this.slots) if (!slot.admitted) return slot;
    return undefined;
  }

  stats(): LimiterStats {
    return {
      key: this.key,
      plugin: this.plugin,
      limit: this.policy.limit,
      ceiling: this.policy.ceiling,
      inFlight: this.running,
      queued: this.waiting.length,
      throttled: this.throttledCount,
    };
  }
}

/** A digest of the environment names and values a plugin is given: its credentials' identity, never the values themselves. */
export function credentialsDigest(env: Record<string, string>): string {
  const entries = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

export interface LimiterRequest {
  /** The plugin's manifest name. */
  plugin: string;
  /** The environment it is given. */
  env: Record<string, string>;
  /** The most calls it may have in flight: the manifest's concurrency within the host's ceiling. */
  ceiling: number;
  /** The operator's limit for this plugin's account, if set: the limit starts there and never exceeds it. */
  operatorLimit?: number;
}

/** One limiter per plugin name and credentials, for the life of a PluginHost. */
export class CallLimiters {
  private readonly limiters = new Map<string, CallLimiter>();

  get({ plugin, env, ceiling, operatorLimit }: LimiterRequest): CallLimiter {
    const key = `${plugin.toLowerCase()}:${credentialsDigest(env)}`;
    const top = Math.min(ceiling, operatorLimit ?? Infinity);
    let limiter = this.limiters.get(key);
    if (limiter) {
      limiter.policy.lowerCeiling(top);
      return limiter;
    }
    const initial = operatorLimit !== undefined ? top : Math.min(top, INITIAL_IN_FLIGHT);
    limiter = new CallLimiter(key, plugin, new AimdPolicy({ initial, ceiling: top }));
    this.limiters.set(key, limiter);
    return limiter;
  }

  all(): CallLimiter[] {
    return [...this.limiters.values()];
  }
}

/** Where the operator's limits come from, for the errors: the flag, else the variable. */
export const IN_FLIGHT_FLAG = '--plugin-max-in-flight';
export const IN_FLIGHT_VARIABLE = 'KADENDE_PLUGIN_MAX_IN_FLIGHT';

/**
 * The operator's calls-in-flight limits, `aws=20,gcp=8`: per plugin name (matched
 * case-insensitively), the most calls in flight against its account. Every entry is checked;
 * the first bad one is named with where it came from.
 */
export function parseMaxInFlight(raw: string | undefined, source: string): Record<string, number> {
  const limits: Record<string, number> = {};
  if (raw === undefined || raw.trim() === '') return limits;
  for (const entry of raw.split(',').map((e) => e.trim())) {
    const fail = (why: string) => kadendeError('KADENDE_ERR_PLUGIN_IN_FLIGHT_SETTING', source, entry, why);
    const at = entry.indexOf('=');
    if (at < 0) throw fail('has no "="');
    const name = entry.slice(0, at).trim().toLowerCase();
    const count = entry.slice(at + 1).trim();
    if (!/^[a-z0-9][a-z0-9._-]{0,213}$/.test(name)) throw fail('does not start with a plugin name');
    if (!/^[1-9][0-9]{0,5}$/.test(count)) throw fail(`has a count "${count}" that is not a whole number of at least 1`);
    if (name in limits) throw fail(`names ${name} a second time`);
    limits[name] = Number(count);
  }
  return limits;
}
