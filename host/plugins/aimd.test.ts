// The adaptive concurrency policy on its own (aimd.ts): examples of each rule, and a provider
// with a fixed limit driven round by round to show where the policy settles.
import { describe, expect, it } from 'vitest';
import { AimdPolicy, PROBE_ROUNDS } from './aimd.js';


describe('AimdPolicy', () => {
  it('starts at its initial limit within [1, ceiling]', () => {
    expect(new AimdPolicy({ initial: 16, ceiling: 64 }).limit).toBe(16);
    expect(new AimdPolicy({ initial: 100, ceiling: 64 }).limit).toBe(64);
    expect(new AimdPolicy({ initial: 0, ceiling: 64 }).limit).toBe(1);
  });

  it('slow start: +0.5 per answered call while the limit is in use (x1.5 a round)', () => {
    const policy = new AimdPolicy({ initial: 16, ceiling: 64 });
    for (let i = 0; i < 16; i += 1) policy.answered(true);
    expect(policy.limit).toBe(24);
  });

  it('does not grow on answers while the limit is not in use', () => {
    const policy = new AimdPolicy({ initial: 16, ceiling: 64 });
    for (let i = 0; i < 100; i += 1) policy.answered(false);
    expect(policy.limit).toBe(16);
  });

  it('never grows past its ceiling, and a lowered ceiling caps it at once', () => {
    const policy = new AimdPolicy({ initial: 16, ceiling: 20 });
    for (let i = 0; i < 100; i += 1) policy.answered(true);
    expect(policy.limit).toBe(20);
    policy.lowerCeiling(12);
    expect(policy.limit).toBe(12);
    expect(policy.ceiling).toBe(12);
  });

  it('a throttle backs off multiplicatively from what was in flight when the throttled call was sent, not from the limit', () => {
    const policy = new AimdPolicy({ initial: 40, ceiling: 64 });
    // The provider refused the 21st call in flight: 20 fit; 20 x 0.9 = 18.
    expect(policy.throttled({ inFlight: 21, round: policy.round })).toBe(true);
    expect(policy.limit).toBe(18);
  });

  it('one decrease per round: throttles of calls sent before the last decrease do not lower it again', () => {
    const policy = new AimdPolicy({ initial: 30, ceiling: 64 });
    const before = policy.round;
    policy.throttled({ inFlight: 21, round: before });
    expect(policy.throttled({ inFlight: 25, round: before })).toBe(false);
    expect(policy.throttled({ inFlight: 22, round: before })).toBe(false);
    expect(policy.limit).toBe(18);
    // A call sent under the lowered limit that is throttled again lowers it again.
    expect(policy.throttled({ inFlight: 18, round: policy.round })).toBe(true);
    expect(policy.limit).toBe(15);
  });

  it('after a throttle it climbs back to what fit at +0.5 a call, then past it by one every PROBE_ROUNDS rounds', () => {
    const policy = new AimdPolicy({ initial: 30, ceiling: 64 });
    policy.throttled({ inFlight: 21, round: policy.round });
    expect(policy.limit).toBe(18);
    // 20 fit: four answers take it back there, and no further.
    for (let i = 0; i < 4; i += 1) policy.answered(true);
    expect(policy.limit).toBe(20);
    // Past it: 1/(limit x 4) a call, so one more after about PROBE_ROUNDS rounds of 20 calls (82).
    for (let i = 0; i < 20 * PROBE_ROUNDS; i += 1) policy.answered(true);
    expect(policy.limit).toBe(20);
    policy.answered(true);
    policy.answered(true);
    expect(policy.limit).toBe(21);
  });

  it('an answered call raises the level that fits to the calls in flight beside it (requests reach the provider out of order)', () => {
    const policy = new AimdPolicy({ initial: 16, ceiling: 64 });
    // The 5th call sent was the one refused: it reached the provider 11th.
    policy.throttled({ inFlight: 5, round: policy.round });
    expect(policy.limit).toBe(3);
    // The first answer comes with 10 in flight: 10 fit, and the limit climbs back there at slow start's pace.
    policy.answered(true, 10);
    for (let i = 0; i < 20; i += 1) policy.answered(true, 3);
    expect(policy.limit).toBe(10);
  });

  it('a throttle below the level that fit lowers that level too (another client now uses the account)', () => {
    const policy = new AimdPolicy({ initial: 30, ceiling: 64 });
    policy.throttled({ inFlight: 21, round: policy.round });
    for (let i = 0; i < 4; i += 1) policy.answered(true);
    policy.throttled({ inFlight: 13, round: policy.round });
    expect(policy.limit).toBe(10);
    for (let i = 0; i < 10; i += 1) policy.answered(true);
    expect(policy.limit).toBe(12);
  });

  it('never goes below one', () => {
    const policy = new AimdPolicy({ initial: 2, ceiling: 64 });
    for (let i = 0; i < 10; i += 1) policy.throttled({ inFlight: 1, round: policy.round });
    expect(policy.limit).toBe(1);
  });

  it('against a provider that allows 20 at once: finds it within a few rounds, then stays near it with few throttles', () => {
    const policy = new AimdPolicy({ initial: 16, ceiling: 64 });
    const PROVIDER = 20;
    let throttles = 0;
    const limits: number[] = [];
    for (let round = 0; round < 30; round += 1) {
      // One round trip: `limit` calls sent at once; those past the provider's limit are refused.
      const sent = Array.from({ length: policy.limit }, (_, i) => ({ inFlight: i + 1, round: policy.round }));
      for (const call of sent) {
        if (call.inFlight > PROVIDER) {
          throttles += 1;
          policy.throttled(call);
        } else policy.answered(true);
      }
      limits.push(policy.limit);
    }
    // 16 answered -> 24; 4 of 24 refused -> 20 x 0.9 = 18; back to 20 in the next round, 21 four
    // rounds later, refused once, 18 again.
    expect(limits.slice(0, 8)).toEqual([24, 18, 20, 20, 20, 20, 21, 18]);
    expect(Math.min(...limits.slice(1))).toBe(18);
    expect(Math.max(...limits.slice(1))).toBe(21);
    // Most rounds at the provider's limit: 30 rounds carry about 585 calls, 20 a round at best.
    expect(limits.filter((limit) => limit === PROVIDER).length).toBeGreaterThanOrEqual(20);
    // Refused: the overshoot of slow start (4) and one every six rounds.
    expect(throttles).toBe(8);
  });
});
