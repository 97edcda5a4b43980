// The SDK's idle timer of threads and sandboxes (plugin-sdk/src/idle.ts), on fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleWatch } from '../../plugin-sdk/src/idle.js';

describe('IdleWatch', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('fires once nothing has been pending for the idle time since the last call settled', () => {
    let pending = 0;
    const onIdle = vi.fn();
    const watch = new IdleWatch(1_000, () => pending > 0, onIdle);
    watch.settled();
    vi.advanceTimersByTime(900);
    // A call runs 300 ms and settles at 1200 ms: idle from there, not from the first settle.
    pending = 1;
    vi.advanceTimersByTime(300);
    pending = 0;
    watch.settled();
    vi.advanceTimersByTime(999);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('does not fire while a call is pending; the settling of the last one watches again', () => {
    let pending = 1;
    const onIdle = vi.fn();
    const watch = new IdleWatch(1_000, () => pending > 0, onIdle);
    watch.settled();
    vi.advanceTimersByTime(5_000);
    expect(onIdle).not.toHaveBeenCalled();
    pending = 0;
    watch.settled();
    vi.advanceTimersByTime(1_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('keeps one timer however many calls settle, and none after stop', () => {
    const onIdle = vi.fn();
    const watch = new IdleWatch(1_000, () => false, onIdle);
    for (let i = 0; i < 100; i++) watch.settled();
    expect(vi.getTimerCount()).toBe(1);
    watch.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(onIdle).not.toHaveBeenCalled();
  });
});
