/**
 * A session's bandit contexts of served exploration items not watched yet, oldest first: flat records
 * `[videoId, n, x_0 .. x_n-1]` in one Float64Array that grows by doubling up to `maxRecords` records and
 * then stays put.
 *
 * It was a plain number[] grown by push and trimmed by splice. On a serving node under feed-only traffic
 * (a load test: nothing is watched, so every exploration item stays) each session's array filled up, and
 * every later push re-allocated its backing store: a few KB of garbage in the old generation per request,
 * ~75% of what a node promoted, and the cause of most major GCs (measured with V8's sampling heap profiler).
 * Removal here moves the records after the removed one down in place; nothing is allocated once full.
 */
export class ExploredContexts {
  private buf: Float64Array | null = null;
  private len = 0;
  private count = 0;

  constructor(readonly maxRecords: number) {}

  /** Records held. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds the context of a served exploration item, newest: a record of the same video goes first, and the
   * oldest record goes when `maxRecords` are held.
   */
  add(videoId: number, x: ArrayLike<number>): void {
    this.take(videoId);
    if (this.count >= this.maxRecords && this.count > 0) this.removeAt(0);
    const need = this.len + 2 + x.length;
    this.reserve(need, 2 + x.length);
    const b = this.buf!;
    b[this.len] = videoId;
    b[this.len + 1] = x.length;
    for (let i = 0; i < x.length; i++) b[this.len + 2 + i] = x[i]!;
    this.len = need;
    this.count++;
  }

  /** Removes the (oldest) context of `videoId` and returns it; undefined if there is none. */
  take(videoId: number): Float64Array | undefined {
    const b = this.buf;
    if (b === null) return undefined;
    for (let i = 0; i < this.len; i += 2 + b[i + 1]!) {
      if (b[i] !== videoId) continue;
      const x = b.slice(i + 2, i + 2 + b[i + 1]!);
      this.removeAt(i);
      return x;
    }
    return undefined;
  }

  clear(): void {
    this.buf = null;
    this.len = 0;
    this.count = 0;
  }

  /** The records as one flat array (what the store keeps). */
  toArray(): number[] {
    return this.buf === null ? [] : Array.from(this.buf.subarray(0, this.len));
  }

  /** From flat records as `toArray` gives them (the newest `maxRecords` are kept). */
  static fromArray(flat: readonly number[], maxRecords: number): ExploredContexts {
    const e = new ExploredContexts(maxRecords);
    for (let i = 0; i + 1 < flat.length; i += 2 + flat[i + 1]!) {
      const n = flat[i + 1]!;
      if (!(n >= 0) || i + 2 + n > flat.length) throw new RangeError(`explored contexts: record at ${i} claims ${n} values, ${flat.length - i - 2} left`);
      e.add(flat[i]!, flat.slice(i + 2, i + 2 + n));
    }
    return e;
  }

  /** Removes the record starting at `at`. */
  private removeAt(at: number): void {
    const b = this.buf!;
    const end = at + 2 + b[at + 1]!;
    b.copyWithin(at, end, this.len);
    this.len -= end - at;
    this.count--;
  }

  /**
   * Room for `need` values: one record at first (a bandit context of 6 fits in 64 bytes, which V8 keeps on
   * its heap: most simulated sessions explore once or twice), then doubling, but not past what `maxRecords`
   * records of this size take.
   */
  private reserve(need: number, recordLen: number): void {
    const cap = this.buf === null ? 0 : this.buf.length;
    if (need <= cap) return;
    const full = this.maxRecords * recordLen;
    const next = Math.max(need, Math.min(Math.max(cap * 2, recordLen), full));
    const grown = new Float64Array(next);
    if (this.buf !== null) grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
}
