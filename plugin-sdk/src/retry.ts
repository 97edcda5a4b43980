/**
 * One retry policy for every plugin that calls a remote API: capped
 * exponential backoff with full jitter, bounded by the call's deadline.
 *
 * The host terminates the worker at the deadline, so stopping a little before
 * it lets the plugin say why (the provider's last answer, through `translate`)
 * instead of being killed mid-sleep. Plugins switch their SDK's own retries off
 * so that this is the only policy and it honours the deadline.
 *
 * No runtime imports beyond Node's timers: plugin bundles pull this in, and
 * must not pull in ajv or typebox with it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PluginContext } from './define.js';

export interface RetryPolicy {
  /** Whether this failure may succeed if tried again (throttling, 5xx, a dropped connection). */
  isRetryable(error: unknown): boolean;
  /**
   * The error to throw when retrying stops (not retryable, deadline near, aborted): the
   * provider's message under a stable code. `signal` tells a deadline apart. Default: as is.
   */
  translate?(error: unknown, signal: AbortSignal): unknown;
  /** First delay ceiling, ms (default 100). */
  baseMs?: number;
  /** Largest delay ceiling, ms (default 5000). */
  capMs?: number;
  /** Stop this long before the deadline, so the answer gets back to the host in time (default 200). */
  marginMs?: number;
  /**
   * The provider's own hint of when to try again (Retry-After, a rate-limit reset), ms
   * from now. It replaces the backoff delay; a hint past the deadline ends the retries at once.
   */
  retryAfterMs?(error: unknown): number | undefined;
}

/**
 * The code every plugin's throttled failure carries, whatever its provider: the
 * host tells throttling apart by it (to slow down), not by each plugin's codes.
 */
export const THROTTLED_ERROR_CODE = 'PLUGIN_ERR_THROTTLED';

/** A Retry-After header value (seconds, or an HTTP date) as ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What bounds the retries: a plugin method's context is one. */
export type RetryBounds = Pick<PluginContext, 'deadline' | 'signal' | 'throttleToHost'>;

/** Whether an error (as `translate` gives it) is the provider's throttling: THROTTLED_ERROR_CODE, or a plugin's own `*_ERR_THROTTLED`. */
export function isThrottledError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code === THROTTLED_ERROR_CODE || code.endsWith('_ERR_THROTTLED'));
}

/**
 * Capped exponential backoff, the one formula behind every retry and pause in
 * Kadende (the host's create retries, the scheduler, the publisher, the event
 * follower, and backoffDelay below): `min(cap, base * 2^min(n, maxExponent))`.
 * `maxExponent` stops the growth before the cap where a caller wants that.
 */
export function exponentialBackoff(n: number, baseMs: number, capMs = Infinity, maxExponent = Infinity): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(n, maxExponent));
}

/** The delay before retry `n` (0-based): uniform in [0, min(cap, base * 2^n)). */
export function backoffDelay(n: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return random() * exponentialBackoff(n, baseMs, capMs);
}

/**
 * Runs `attempt` (given the attempt number, from 0) until it succeeds, fails
 * with an error `isRetryable` refuses, the signal aborts, the next sleep
 * would end within `marginMs` of the deadline, or (with `throttleToHost`)
 * the provider throttles it.
 */
export async function withRetry<T>(bounds: RetryBounds, policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  const base = policy.baseMs ?? 100;
  const cap = policy.capMs ?? 5_000;
  const margin = policy.marginMs ?? 200;
  const { deadline, signal } = bounds;
  const giveUp = (error: unknown): unknown => (policy.translate ? policy.translate(error, signal) : error);
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (signal.aborted || !policy.isRetryable(error)) throw giveUp(error);
      const hint = policy.retryAfterMs?.(error);
      // The host slows down on throttling and retries the call itself: tell it now, not at the deadline,
      // with the provider's hint of when to try again (the host holds the account's calls until then).
      if (bounds.throttleToHost) {
        const translated = giveUp(error);
        if (isThrottledError(translated)) {
          if (hint !== undefined && hint >= 0 && typeof translated === 'object' && translated !== null) {
            (translated as { retryAfterMs?: number }).retryAfterMs ??= hint;
          }
          throw translated;
        }
      }
      const delay = hint !== undefined && hint >= 0 ? hint : backoffDelay(n, base, cap);
      if (Date.now() + delay >= deadline - margin) throw giveUp(error);
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        throw giveUp(error);
      }
    }
  }
}

/**
 * Error codes of the connection itself (Node's socket errors, undici's, axios'):
 * the request may or may not have reached the provider, so retry only what is
 * idempotent or guarded by a token.
 */
export const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
