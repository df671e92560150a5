import { hash32 } from "../../protocols/index.ts";

/**
 * Long-term interest: affinity to topics/categories over the whole history, decaying with a half-life in
 * event time. Categories are hashed into `dim` buckets (the profile's interestLong). A content-space
 * average decayed the same way is kept alongside as the long-term retrieval query. Both update in O(d).
 */
export class LongTermInterest {
  readonly affinity: Float32Array;
  readonly query: Float32Array;
  /** Sum of the decayed engagement weights: the denominator of `affinityOf`. */
  mass = 0;
  lastMs: number | undefined;

  constructor(readonly dim: number, contentDim: number, private readonly halfLifeMs: number) {
    this.affinity = new Float32Array(dim);
    this.query = new Float32Array(contentDim);
  }

  static bucket(category: number, dim: number): number {
    return hash32(`c${category}`) % dim;
  }

  /** Decays everything to `nowMs`; out-of-order (earlier) times do not decay. */
  decayTo(nowMs: number): void {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      const f = 2 ** (-(nowMs - this.lastMs) / this.halfLifeMs);
      for (let i = 0; i < this.affinity.length; i++) this.affinity[i]! *= f;
      for (let i = 0; i < this.query.length; i++) this.query[i]! *= f;
      this.mass *= f;
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
  }

  observe(nowMs: number, categories: readonly number[], content: ArrayLike<number> | undefined, engagement: number): void {
    this.decayTo(nowMs);
    if (engagement <= 0) return;
    if (categories.length > 0) {
      const share = engagement / categories.length;
      for (const c of categories) this.affinity[LongTermInterest.bucket(c, this.dim)]! += share;
    }
    if (content !== undefined) for (let i = 0; i < this.query.length; i++) this.query[i]! += engagement * content[i]!;
    this.mass += engagement;
  }

  /** The share of the user's (decayed) engagement that went to `category`, in [0, 1]. */
  affinityOf(category: number | undefined): number {
    if (category === undefined || this.mass <= 0) return 0;
    return this.affinity[LongTermInterest.bucket(category, this.dim)]! / this.mass;
  }

  /** The affinity vector normalised to unit mass (the ranker's long-term feature block). */
  normalized(out = new Float32Array(this.dim)): Float32Array {
    const m = this.mass > 0 ? 1 / this.mass : 0;
    for (let i = 0; i < this.dim; i++) out[i] = this.affinity[i]! * m;
    return out;
  }
}
