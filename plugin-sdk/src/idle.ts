/** How long a thread or sandbox with nothing to do stays up when its pool does not say. */
export const DEFAULT_IDLE_MS = 30_000;

/**
 * Stops something (a thread, a sandbox) once it has had nothing to do for `idleMs`. One timer
 * that looks again when it fires, not one set and cleared around every call: two timers a call
 * were a measurable share of a short call's cost (transport bench).
 */
export class IdleWatch {
  private timer: NodeJS.Timeout | undefined;
  private since = 0;
  private readonly idleMs: number;

  constructor(
    idleMs: number | undefined,
    /** Whether calls are pending: the settling of the last of them watches again. */
    private readonly busy: () => boolean,
    private readonly onIdle: () => void,
  ) {
    this.idleMs = idleMs ?? DEFAULT_IDLE_MS;
  }

  /** The last pending call settled: idle from now. */
  settled(): void {
    this.since = performance.now();
    if (!this.timer) this.arm(this.idleMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(waitMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.busy()) return;
      const unused = performance.now() - this.since;
      if (unused >= this.idleMs) this.onIdle();
      else this.arm(this.idleMs - unused);
    }, Math.max(1, waitMs));
    this.timer.unref();
  }
}
