import type { IdSet } from "../retrieval/candidate-source.ts";

/**
 * `new Set(session.seen)` as marks in a flat array indexed by video number: a feed asks "seen?" a few
 * thousand times (every candidate of every source, the policy's picks), and a hash lookup each was ~3% of
 * a simulation. One instance per pipeline, filled for a session and cleared again around each synchronous
 * stretch of a request (the marks of one request must not be live while another request runs).
 *
 * Same answers as the Set: `has` for every number, `size` counting the ring's free-slot filler -1 once when
 * present (as the Set holds it), iteration over the ids (without -1, which is no video).
 */
export class SeenMarks implements IdSet {
  private marks = new Uint8Array(1024);
  private readonly ids: number[] = [];
  /**
   * Ids not usable as an index (negative, fractional, huge), kept in a set; -1 is the common one. Replaced,
   * not cleared: `clear()` on a long-lived Set allocates its new table in the old generation (V8 keeps a
   * table's generation), garbage for the next major GC at every request.
   */
  private other = new Set<number>();
  private filled = false;

  /** Marks the ids of a seen ring (free slots hold -1). */
  fill(ring: ArrayLike<number>): this {
    if (this.filled) throw new Error("SeenMarks.fill: still filled (clear it first)");
    this.filled = true;
    for (let i = 0; i < ring.length; i++) {
      const id = ring[i]!;
      if (id >= 0 && id < MAX_DENSE && Number.isInteger(id)) {
        if (id >= this.marks.length) this.grow(id);
        if (this.marks[id] === 0) {
          this.marks[id] = 1;
          this.ids.push(id);
        }
      } else this.other.add(id);
    }
    return this;
  }

  clear(): void {
    for (const id of this.ids) this.marks[id] = 0;
    this.ids.length = 0;
    if (this.other.size > 0) this.other = new Set<number>();
    this.filled = false;
  }

  readonly has = (id: number): boolean => (id >= 0 && id < this.marks.length ? this.marks[id] === 1 : this.other.has(id));

  get size(): number {
    return this.ids.length + this.other.size;
  }

  *[Symbol.iterator](): Iterator<number> {
    yield* this.ids;
    yield* this.other;
  }

  private grow(id: number): void {
    const m = new Uint8Array(Math.min(MAX_DENSE, Math.max(id + 1, this.marks.length * 2)));
    m.set(this.marks);
    this.marks = m;
  }
}

/** Ids from here on are kept in the set (a stray huge id must not allocate a huge array). */
const MAX_DENSE = 1 << 26;
