/** A source of uniform numbers in [0, 1); an `Rng` fits. */
export interface Uniform {
  next(): number;
}

/**
 * Novelty injection: decides which feed slots are exploration. The count per feed is k·rate rounded
 * stochastically (floor plus a Bernoulli remainder), so the long-run share equals the rate exactly in
 * expectation even when k·rate is not an integer; positions are uniform among the unprotected slots.
 * The rate is mutable at run time (the homogenization coordinator moves it) and always clamped to [min, max].
 */
export class NoveltyInjector {
  private current: number;
  // scratch for the partial shuffle, grown on demand, so a feed request allocates nothing
  private positions = new Int32Array(64);

  /**
   * @param rate initial share of exploration slots (0.15 by default in config)
   * @param protectTop the first slots are always exploitation (the top of the feed decides whether a user stays)
   */
  constructor(rate: number, readonly protectTop = 0, readonly minRate = 0, readonly maxRate = 1) {
    this.current = 0;
    this.setRate(rate);
  }

  get rate(): number {
    return this.current;
  }

  /** Sets the rate, clamped to [minRate, maxRate]; returns the rate in effect. */
  setRate(rate: number): number {
    const r = Number.isFinite(rate) ? rate : this.minRate;
    this.current = Math.min(this.maxRate, Math.max(this.minRate, r));
    return this.current;
  }

  /** Number of exploration slots for a feed of k (stochastic rounding of k·rate, capped by the free slots). */
  count(k: number, u: Uniform): number {
    const expected = k * this.current;
    let n = Math.floor(expected);
    if (u.next() < expected - n) n++;
    return Math.min(n, Math.max(0, k - this.protectTop));
  }

  /** Marks exploration slots in `out[0..k)` with 1 (others 0) and returns how many were marked. */
  slots(k: number, u: Uniform, out: Uint8Array): number {
    out.fill(0, 0, k);
    const n = this.count(k, u);
    const free = k - this.protectTop;
    if (n <= 0) return 0;
    if (this.positions.length < free) this.positions = new Int32Array(Math.max(free, this.positions.length * 2));
    const p = this.positions;
    for (let i = 0; i < free; i++) p[i] = this.protectTop + i;
    // partial Fisher–Yates: the first n entries become a uniform n-subset
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(u.next() * (free - i));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
      out[p[i]!] = 1;
    }
    return n;
  }
}

/**
 * Fills `out` (length k) slot by slot: exploration slots from `explore`, the others from `exploit`, each list
 * consumed in order. When one list runs dry the other fills in, so the feed is never shorter than needed.
 */
export function interleaveFeed<T>(mask: Uint8Array, k: number, exploit: readonly T[], explore: readonly T[], out: T[] = []): T[] {
  out.length = 0;
  let i = 0;
  let j = 0;
  for (let s = 0; s < k; s++) {
    const wantExplore = mask[s] === 1;
    if ((wantExplore && j < explore.length) || i >= exploit.length) {
      if (j >= explore.length) break;
      out.push(explore[j++]!);
    } else {
      out.push(exploit[i++]!);
    }
  }
  return out;
}
