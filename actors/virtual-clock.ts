import { createRng, type Rng } from "../models/index.ts";
import type { Clock, TimerHandle } from "./clock.ts";

/** A due timer; it is its own handle (no closure per timer: a run sets one or more per simulated event). */
class Entry implements TimerHandle {
  constructor(
    readonly clock: VirtualClock,
    readonly time: number,
    readonly seq: number,
    public cb: (() => void) | null,
    readonly background: boolean,
  ) {}

  cancel(): void {
    if (this.cb !== null) {
      this.cb = null;
      this.clock.cancelled(this);
    }
  }
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
    const e = new Entry(this, this.t + Math.max(0, delayMs), this.seq++, cb, background);
    this.push(e);
    this.live++;
    if (!background) this.foreground++;
    return e;
  }

  /** Bookkeeping of Entry.cancel (the entry stays in the heap until it reaches the top). */
  cancelled(e: Entry): void {
    this.live--;
    if (!e.background) this.foreground--;
  }

  /** Time of the next due timer, or undefined when no foreground timer is left. */
  nextTime(): number | undefined {
    this.dropCancelled();
    if (this.foreground === 0) return undefined;
    return this.heap[0]?.time;
  }

  /** Time of the next due timer, background ones included (undefined when none is left). */
  nextDueTime(): number | undefined {
    this.dropCancelled();
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
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(e, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && this.less(h[r]!, h[l]!) ? r : l;
        if (!this.less(h[m]!, last)) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
