import { createRng, type Rng } from "../models/index.ts";
import type { Clock, TimerHandle } from "./clock.ts";

interface Entry {
  time: number;
  seq: number;
  cb: (() => void) | null;
  background: boolean;
}

/**
 * Discrete-event time: `now()` moves only when the owner fires the next timer. Timers due at the same
 * time fire in the order they were set, so a run is a pure function of its inputs and seed.
 */
export class VirtualClock implements Clock {
  readonly kind = "virtual" as const;
  /** The run's seeded random stream; derive per-actor streams with `rng.fork(key)`. */
  readonly rng: Rng;
  private t: number;
  private seq = 0;
  private heap: Entry[] = [];
  private live = 0;
  private foreground = 0;

  constructor(opts: { seed: number; startMs?: number }) {
    this.rng = createRng(opts.seed);
    this.t = opts.startMs ?? 0;
  }

  now(): number {
    return this.t;
  }

  /** Number of timers still due. */
  get pending(): number {
    return this.live;
  }

  /** Number of non-background timers still due: the run is over when this reaches 0. */
  get pendingForeground(): number {
    return this.foreground;
  }

  setTimer(delayMs: number, cb: () => void, background = false): TimerHandle {
    const e: Entry = { time: this.t + Math.max(0, delayMs), seq: this.seq++, cb, background };
    this.push(e);
    this.live++;
    if (!background) this.foreground++;
    return {
      cancel: () => {
        if (e.cb !== null) {
          e.cb = null;
          this.live--;
          if (!e.background) this.foreground--;
        }
      },
    };
  }

  /** Time of the next due timer, or undefined when no foreground timer is left. */
  nextTime(): number | undefined {
    this.dropCancelled();
    if (this.foreground === 0) return undefined;
    return this.heap[0]?.time;
  }

  /** Advances to the next timer and fires it; false when none is left. */
  fireNext(): boolean {
    this.dropCancelled();
    const e = this.pop();
    if (e === undefined) return false;
    this.t = e.time;
    const cb = e.cb!;
    e.cb = null;
    this.live--;
    if (!e.background) this.foreground--;
    cb();
    return true;
  }

  /** Moves time forward without firing anything (only to a time before the next timer). */
  advanceTo(ms: number): void {
    this.dropCancelled();
    const next = this.heap[0]?.time;
    if (next !== undefined && ms > next) throw new Error(`advanceTo(${ms}) would skip a timer due at ${next}`);
    if (ms > this.t) this.t = ms;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cb === null) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
