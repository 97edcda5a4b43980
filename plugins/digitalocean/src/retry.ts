/**
 * Retries throttled, 5xx and dropped calls with capped exponential backoff and
 * full jitter, but only within the call's deadline: the host terminates the
 * worker at the deadline, so giving up a little before it lets the plugin say
 * why (the provider's last answer) instead of being killed mid-sleep.
 *
 * The SDK's own retries are switched off wherever it has them, so this is the
 * one retry policy and it honours the deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Epoch ms at which the host gives up on the call. */
  deadline: number;
  signal: AbortSignal;
  /** Whether this failure may succeed if tried again (throttling, 5xx, a dropped connection). */
  retryable(error: unknown): boolean;
  /** The error the plugin throws when it stops: with the provider's message and a stable code. */
  translate(error: unknown): Error;
  /** First delay, ms. */
  baseMs?: number;
  /** Largest delay, ms. */
  capMs?: number;
  /** Stop this long before the deadline, so the answer gets back to the host in time. */
  marginMs?: number;
}

export async function withRetry<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const base = policy.baseMs ?? 100;
  const cap = policy.capMs ?? 5_000;
  const margin = policy.marginMs ?? 200;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (policy.signal.aborted || !policy.retryable(error)) throw policy.translate(error);
      const delay = Math.random() * Math.min(cap, base * 2 ** n);
      if (Date.now() + delay >= policy.deadline - margin) throw policy.translate(error);
      try {
        await sleep(delay, undefined, { signal: policy.signal });
      } catch {
        throw policy.translate(error);
      }
    }
  }
}
