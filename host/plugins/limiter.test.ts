// The account limiter's slow start on the clock (limiter.ts): a call the provider has not refused
// within the admission wait was admitted, so a scale-up's first round is filled before the first
// create answers. Fake timers drive performance.now(), which the limiter reads from the global.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AimdPolicy } from './aimd.js';
import { ADMISSION_FLOOR_MS, CallLimiter, type Slot } from './limiter.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function limiterAt(initial: number): CallLimiter {
  return new CallLimiter('fake:0', 'fake', new AimdPolicy({ initial, ceiling: 64 }));
}

/** One describe answered in 10 ms: the account's round trip is known. */
async function answerOneDescribe(limiter: CallLimiter): Promise<void> {
  const slot = await limiter.acquire('describe');
  vi.advanceTimersByTime(10);
  limiter.release(slot, 'answered');
}

/** `count` creates asked for at once; returns the slots as they are granted. */
function askCreates(limiter: CallLimiter, count: number): Slot[] {
  const granted: Slot[] = [];
  for (let i = 0; i < count; i += 1) void limiter.acquire('create').then((slot) => granted.push(slot));
  return granted;
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe('CallLimiter slow start, clocked by admissions', () => {
  it('counts calls unrefused for the admission wait as answered: the limit grows x1.5 before any create answers', async () => {
    const limiter = limiterAt(16);
    await answerOneDescribe(limiter);
    const granted = askCreates(limiter, 40);
    await settle();
    expect(granted).toHaveLength(16);
    await vi.advanceTimersByTimeAsync(ADMISSION_FLOOR_MS - 1);
    expect(granted).toHaveLength(16);
    await vi.advanceTimersByTimeAsync(1);
    expect(limiter.policy.limit).toBe(24);
    expect(granted).toHaveLength(24);
    // Their answers grow nothing more: each call counts once in slow start.
    for (const slot of granted.slice(0, 16)) limiter.release(slot, 'answered');
    await settle();
    expect(limiter.policy.limit).toBe(24);
  });

  it('stops at the first throttle: what was refused is news the clock must not outrun', async () => {
    const limiter = limiterAt(16);
    await answerOneDescribe(limiter);
    const granted = askCreates(limiter, 40);
    await vi.advanceTimersByTimeAsync(ADMISSION_FLOOR_MS);
    expect(granted).toHaveLength(24);
    // The provider allows 20: the 21st refused.
    limiter.release(granted[20]!, 'throttled');
    const limit = limiter.policy.limit;
    expect(limit).toBeLessThanOrEqual(20);
    await vi.advanceTimersByTimeAsync(10 * ADMISSION_FLOOR_MS);
    expect(limiter.policy.limit).toBe(limit);
  });

  it('after a throttle, answers of calls it counted as admitted are news again: the limit climbs back to what fits', async () => {
    const limiter = limiterAt(16);
    await answerOneDescribe(limiter);
    const granted = askCreates(limiter, 40);
    await vi.advanceTimersByTimeAsync(ADMISSION_FLOOR_MS);
    // A refusal whose place says too little (requests reach the provider in another order).
    limiter.release(granted[16]!, 'throttled');
    const backedOff = limiter.policy.limit;
    await vi.advanceTimersByTimeAsync(100);
    for (const slot of granted.slice(0, 8)) limiter.release(slot, 'answered');
    expect(limiter.policy.limit).toBeGreaterThan(backedOff);
  });

  it('waits for a first answer: an account with no round trip known grows only on answers', async () => {
    const limiter = limiterAt(16);
    const granted = askCreates(limiter, 40);
    await vi.advanceTimersByTimeAsync(10 * ADMISSION_FLOOR_MS);
    expect(granted).toHaveLength(16);
    expect(limiter.policy.limit).toBe(16);
  });

  it('does not grow a limit nothing waits for', async () => {
    const limiter = limiterAt(16);
    await answerOneDescribe(limiter);
    const granted = askCreates(limiter, 10);
    await vi.advanceTimersByTimeAsync(10 * ADMISSION_FLOOR_MS);
    expect(granted).toHaveLength(10);
    expect(limiter.policy.limit).toBe(16);
  });
});
