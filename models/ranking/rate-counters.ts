import { NUM_HEADS } from "./heads.ts";

/**
 * Live counters per id (a video, a user): how often it was shown and the sum of each head's target, with
 * smoothed rates (Bayesian average towards the global rate, `prior` pseudo-observations). These are the
 * "live counters" features, updated after each event, so a row's features only see the past.
 */
export class RateCounters {
  private readonly index = new Map<number, number>();
  private n = new Float64Array(1024);
  private sums = new Float64Array(1024 * NUM_HEADS);
  private first = new Float64Array(1024);
  private size = 0;
  private readonly globalSums = new Float64Array(NUM_HEADS);
  private globalN = 0;

  constructor(private readonly prior = 20) {}

  private slot(id: number): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.size++;
      this.index.set(id, i);
      if (i >= this.n.length) {
        const grow = (a: Float64Array, k: number) => {
          const b = new Float64Array(a.length * 2);
          b.set(a);
          return b;
        };
        this.n = grow(this.n, 1);
        this.first = grow(this.first, 1);
        this.sums = grow(this.sums, NUM_HEADS);
      }
      this.first[i] = Number.NaN;
    }
    return i;
  }

  add(id: number, timeMs: number, targets: ArrayLike<number>): void {
    const i = this.slot(id);
    if (Number.isNaN(this.first[i]!)) this.first[i] = timeMs;
    this.n[i]!++;
    this.globalN++;
    for (let h = 0; h < NUM_HEADS; h++) {
      this.sums[i * NUM_HEADS + h]! += targets[h]!;
      this.globalSums[h]! += targets[h]!;
    }
  }

  count(id: number): number {
    const i = this.index.get(id);
    return i === undefined ? 0 : this.n[i]!;
  }

  /** Milliseconds since the id was first counted (0 when never). */
  ageMs(id: number, nowMs: number): number {
    const i = this.index.get(id);
    return i === undefined ? 0 : Math.max(0, nowMs - this.first[i]!);
  }

  globalRate(h: number): number {
    return this.globalN > 0 ? this.globalSums[h]! / this.globalN : 0;
  }

  /** Smoothed rates of every head into `out[offset..offset+NUM_HEADS)`. */
  rates(id: number, out: Float32Array | number[], offset = 0): void {
    const i = this.index.get(id);
    const n = i === undefined ? 0 : this.n[i]!;
    for (let h = 0; h < NUM_HEADS; h++) {
      const s = i === undefined ? 0 : this.sums[i * NUM_HEADS + h]!;
      out[offset + h] = (s + this.prior * this.globalRate(h)) / (n + this.prior);
    }
  }
}
