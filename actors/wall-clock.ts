import type { Clock, TimerHandle } from "./clock.ts";

/** Real time. Timers do not keep the process alive (servers stay up through their sockets). */
export class WallClock implements Clock {
  readonly kind = "wall" as const;
  now(): number {
    return Date.now();
  }
  setTimer(delayMs: number, cb: () => void, _background = false): TimerHandle {
    const t = setTimeout(cb, Math.max(0, delayMs));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
}
