/**
 * How many calls a plugin may have in flight when nobody told Kadende the
 * provider's limit: additive increase while the provider answers, multiplicative
 * decrease when it throttles (AIMD, as TCP's congestion window), never above the
 * ceiling, never below one. A policy only: the limiter (limiter.ts) asks it.
 *
 * - Slow start: until the first throttle the limit grows by SLOW_START_STEP per
 *   answered call (x1.5 a round trip), so a scale-up reaches the provider's
 *   limit in a few rounds. The limiter also counts a call the provider has not
 *   refused for a while as answered (its admission clock), so the first round
 *   grows before the first slow create answers.
 * - After a throttle the policy remembers what fits: at first the calls in
 *   flight when the refused one was sent, less one; raised by every answered
 *   call to the calls that were in flight beside it (requests of several
 *   threads reach the provider in another order than they were sent, so the
 *   refused call's place can say far too little). The limit climbs back to
 *   that level at the slow start's pace, and past it by one every PROBE_ROUNDS
 *   round trips (1/(limit x PROBE_ROUNDS) per call). The level is CUBIC's W_max
 *   (the AWS SDK's adaptive retry mode uses CUBIC): the limit spends its time
 *   at what the provider allows, not in a sawtooth below it.
 * - Growth only while the limit is used and answers come as fast as usual (the
 *   limiter tells): a quiet plugin, or one whose calls queue in the plugin
 *   itself, does not drift up to the ceiling and then burst into the provider.
 * - One decrease per round: calls sent before the last decrease were sent under
 *   the old limit; their throttles say nothing new (they are still retried).
 * - The decrease starts from what was in flight when the throttled call was
 *   sent (the provider refused the n-th call: n - 1 fit), not from the limit,
 *   which slow start may have raised far past it.
 */

/** What a call was sent under: the calls in flight counting itself, and the policy's round. */
export interface SentUnder {
  inFlight: number;
  round: number;
}

export interface AimdOptions {
  /** The limit to start from. */
  initial: number;
  /** The limit is never raised above this. */
  ceiling: number;
  /** Multiplied into the limit on a throttle (default 0.9: the provider's limit is near where it refused). */
  backoff?: number;
}

export const SLOW_START_STEP = 0.5;
/** Past the level that last fit, one more call in flight every this many round trips. */
export const PROBE_ROUNDS = 4;
export const DEFAULT_BACKOFF = 0.9;

export class AimdPolicy {
  private value: number;
  private ceilingValue: number;
  private readonly backoff: number;
  private slowStart = true;
  /** What fits, known since the first throttle: the refused call's place less one, raised by each answered call to the calls in flight beside it. */
  private fit: number | undefined;
  /** Increases by one at every decrease. */
  private roundValue = 0;

  constructor(options: AimdOptions) {
    this.ceilingValue = Math.max(1, Math.floor(options.ceiling));
    this.value = Math.min(this.ceilingValue, Math.max(1, Math.floor(options.initial)));
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return Math.max(1, Math.floor(this.value));
  }

  get ceiling(): number {
    return this.ceilingValue;
  }

  get round(): number {
    return this.roundValue;
  }

  /** Still in slow start: no throttle seen yet. */
  get inSlowStart(): boolean {
    return this.slowStart;
  }

  /** Lowers the ceiling (a pool of another version sharing the limiter allows fewer calls). */
  lowerCeiling(ceiling: number): void {
    this.ceilingValue = Math.max(1, Math.min(this.ceilingValue, Math.floor(ceiling)));
    this.value = Math.min(this.value, this.ceilingValue);
  }

  /**
   * The provider answered a call. `grow`: the limit was in use and the answer came as fast as
   * usual; otherwise the answer says nothing about a higher limit. `inFlight`: the calls in flight
   * as it was answered, itself included: that many fit beside each other.
   */
  answered(grow: boolean, inFlight = 0): void {
    if (this.fit !== undefined && inFlight > this.fit) this.fit = Math.min(this.ceilingValue, inFlight);
    if (!grow) return;
    if (this.slowStart) this.value += SLOW_START_STEP;
    else if (this.fit !== undefined && this.value < this.fit) this.value = Math.min(this.fit, this.value + SLOW_START_STEP);
    else this.value += 1 / (this.value * PROBE_ROUNDS);
    this.value = Math.min(this.ceilingValue, this.value);
  }

  /** The provider throttled a call. Returns whether the limit was lowered. */
  throttled(sent: SentUnder): boolean {
    if (sent.round < this.roundValue) return false;
    this.slowStart = false;
    this.roundValue += 1;
    this.fit = Math.max(1, sent.inFlight - 1);
    this.value = Math.max(1, Math.min(this.value, this.fit) * this.backoff);
    return true;
  }
}
