// The SDK's retry policy, on its own: which failures it retries, and that the
// deadline and the signal end it with the translated error.
import { describe, expect, it } from 'vitest';
import { backoffDelay, PluginError, THROTTLED_ERROR_CODE, withRetry, type RetryPolicy } from '@kadende/plugin-sdk';
import { describeThrown } from '../../plugin-sdk/src/worker.js';

class Flaky extends Error {
  constructor(readonly retryable: boolean) {
    super(retryable ? 'throttled' : 'refused');
  }
}

const policy: RetryPolicy = {
  isRetryable: (error) => error instanceof Flaky && error.retryable,
  translate: (error, signal) => new PluginError(signal.aborted ? 'TEST_ERR_TIMEOUT' : 'TEST_ERR_GAVE_UP', (error as Error).message, 'Flaky', { cause: error }),
  baseMs: 1,
  capMs: 2,
  marginMs: 0,
};
const bounds = (ms = 10_000) => ({ deadline: Date.now() + ms, signal: AbortSignal.timeout(ms) });

/** An attempt that fails with the given errors in turn, then answers its attempt number. */
function failing(...errors: Error[]) {
  const seen: number[] = [];
  const attempt = async (n: number) => {
    seen.push(n);
    if (n < errors.length) throw errors[n];
    return n;
  };
  return { attempt, seen };
}

describe('withRetry', () => {
  it('with throttleToHost, hands a throttled failure back at once (the host slows down and retries it); other retryable ones are still retried', async () => {
    const throttling: RetryPolicy = {
      ...policy,
      translate: (error) => new PluginError((error as Error).message === 'throttled' ? THROTTLED_ERROR_CODE : 'TEST_ERR_UNAVAILABLE', (error as Error).message, 'Flaky'),
    };
    const unavailable = Object.assign(new Flaky(true), { message: 'unavailable' });
    const { attempt, seen } = failing(unavailable, new Flaky(true), new Flaky(true));
    await expect(withRetry({ ...bounds(), throttleToHost: true }, throttling, attempt)).rejects.toMatchObject({ code: THROTTLED_ERROR_CODE });
    expect(seen).toEqual([0, 1]);
    // Without it (a host that does not retry throttling itself), the plugin retries as before.
    const again = failing(new Flaky(true), new Flaky(true));
    expect(await withRetry(bounds(), throttling, again.attempt)).toBe(2);
  });

  it("with throttleToHost, the provider's hint of when to try again travels with the throttle, and crosses to the host", async () => {
    const hinted: RetryPolicy = {
      ...policy,
      translate: (error) => new PluginError(THROTTLED_ERROR_CODE, (error as Error).message, 'Flaky'),
      retryAfterMs: () => 1_500,
    };
    const thrown = await withRetry({ ...bounds(), throttleToHost: true }, hinted, failing(new Flaky(true)).attempt).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ code: THROTTLED_ERROR_CODE, retryAfterMs: 1_500 });
    // What the worker sends the host of it.
    expect(describeThrown(thrown)).toMatchObject({ code: THROTTLED_ERROR_CODE, retryAfterMs: 1_500 });
    // Nonsense is not carried.
    expect(describeThrown(Object.assign(new Error('x'), { retryAfterMs: -1 }))).not.toHaveProperty('retryAfterMs');
    expect(describeThrown(Object.assign(new Error('x'), { retryAfterMs: 'soon' }))).not.toHaveProperty('retryAfterMs');
  });

  it('retries what the policy calls retryable until it succeeds', async () => {
    const { attempt, seen } = failing(new Flaky(true), new Flaky(true), new Flaky(true));
    expect(await withRetry(bounds(), policy, attempt)).toBe(3);
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('stops at once on a failure that is not retryable, with the translated error', async () => {
    const { attempt, seen } = failing(new Flaky(true), new Flaky(false), new Flaky(true));
    const error = await withRetry(bounds(), policy, attempt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ code: 'TEST_ERR_GAVE_UP', message: 'refused', providerCode: 'Flaky' });
    expect(seen).toEqual([0, 1]);
  });

  it('gives up instead of sleeping past the deadline', async () => {
    let attempts = 0;
    const error = await withRetry({ deadline: Date.now() - 1, signal: new AbortController().signal }, policy, async () => {
      attempts++;
      throw new Flaky(true);
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TEST_ERR_GAVE_UP', message: 'throttled' });
    expect(attempts).toBe(1);
  });

  it('stops when the signal aborts, and the translation can tell', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const error = await withRetry({ deadline: Date.now() + 600_000, signal: controller.signal }, { ...policy, baseMs: 60_000, capMs: 60_000 }, async () => {
      attempts++;
      // Abort while the helper sleeps before the second attempt.
      setImmediate(() => controller.abort());
      throw new Flaky(true);
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TEST_ERR_TIMEOUT' });
    expect(attempts).toBe(1);
  });

  it('without a translation throws the last error as it is', async () => {
    const refused = new Flaky(false);
    await expect(withRetry(bounds(), { isRetryable: () => false }, () => Promise.reject(refused))).rejects.toBe(refused);
  });
});

describe('backoffDelay', () => {
  it('doubles its ceiling per attempt up to the cap, with full jitter below it', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 10].map((n) => Math.ceil(backoffDelay(n, 100, 1_000, top)))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(5, 100, 1_000, () => 0)).toBe(0);
  });
});
