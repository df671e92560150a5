/** A scheduled callback; `cancel` is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The only source of time for actors. `WallClock` for serving and load tests; `VirtualClock`
 * (discrete-event) for research runs that must be reproducible.
 */
export interface Clock {
  readonly kind: "wall" | "virtual";
  /** Milliseconds since the clock's epoch. */
  now(): number;
  /**
   * Runs `cb` once after `delayMs` of this clock's time. A `background` timer (housekeeping such as
   * passivation sweeps and ask deadlines) does not by itself keep a virtual-time run going.
   */
  setTimer(delayMs: number, cb: () => void, background?: boolean): TimerHandle;
}
