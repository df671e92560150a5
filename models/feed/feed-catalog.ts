import { createRng } from "../random/rng.ts";
import type { SyntheticWorld } from "../datasets/synthetic/synthetic-world.ts";
import type { CategoryCatalog } from "../retrieval/exploration-source.ts";

/** What the feed pipeline knows about one video (read-mostly, replicated on every node). */
export interface FeedVideo {
  id: number;
  /** Category index (0..K-1). */
  category: number;
  authorId: number;
  durationMs: number;
  /** Content vector (unit length) in the content-embedding space. */
  vector: Float32Array;
}

/** The node-local video catalog the pipeline reads: metadata and content vectors by id. */
export interface FeedCatalog extends CategoryCatalog {
  readonly size: number;
  readonly numCategories: number;
  readonly dims: number;
  get(id: number): FeedVideo | undefined;
  /** Registers a new upload (cold start). */
  add(v: FeedVideo): void;
  /** Quality estimate in [0, 1] (smoothed completion/engagement); the prior (`setPrior`, 0.5 at first) when unknown. */
  quality(id: number): number;
  setQuality(id: number, q: number): void;
  /** The estimate of a video with no data yet: the catalog-wide mean (empirical Bayes), not an optimistic constant. */
  setPrior(q: number): void;
}

/**
 * A catalog over the synthetic world: metadata from the world, content vectors from per-category
 * centroids plus per-video noise (so that content retrieval has structure to find). Materialised once;
 * 1M videos × 32 dims ≈ 128 MB, so large runs use the `small` profile's dimensions.
 */
export class SyntheticFeedCatalog implements FeedCatalog {
  readonly numCategories: number;
  private readonly videos: FeedVideo[] = [];
  private readonly byCategory: number[][];
  private readonly categoryIds: number[];
  // Quality estimates by video id: a flat array; `known` marks the ones set.
  private q = new Float64Array(0);
  private known = new Uint8Array(0);
  private readonly qOther = new Map<number, number>();
  private prior = 0.5;
  private readonly centroids: Float32Array[];
  private readonly noise: number;

  constructor(world: SyntheticWorld, readonly dims: number, opts: { noise?: number } = {}) {
    const K = world.params.categories.ids.length;
    this.numCategories = K;
    this.byCategory = Array.from({ length: K }, () => []);
    this.categoryIds = Array.from({ length: K }, (_, k) => k);
    const rng = createRng(world.seed).fork("content-vectors");
    this.centroids = Array.from({ length: K }, () => unit(Float32Array.from({ length: dims }, () => rng.normal())));
    this.noise = opts.noise ?? 0.6;
    // The world's videos' vectors are views into one block: a feed reads ~200 scattered vectors, and one
    // allocation each (object, buffer, backing store) made that a chain of cache misses per candidate.
    const block = new Float32Array(world.videos * dims);
    for (let j = 0; j < world.videos; j++) {
      const v = world.video(j);
      const vector = block.subarray(j * dims, (j + 1) * dims);
      vector.set(this.vectorFor(v.categoryIndex, rng.fork(j)));
      this.add({ id: j, category: v.categoryIndex, authorId: v.authorId, durationMs: v.durationMs, vector });
    }
  }

  /** A content vector for a video of `category`: its centroid plus noise (uploads get theirs this way). */
  vectorFor(category: number, r: { normal(): number }): Float32Array {
    const c = this.centroids[category]!;
    const dims = this.dims;
    return unit(Float32Array.from({ length: dims }, (_, d) => c[d]! + (this.noise * r.normal() * 2) / Math.sqrt(dims)));
  }

  get size(): number {
    return this.videos.length;
  }

  get(id: number): FeedVideo | undefined {
    return this.videos[id];
  }

  add(v: FeedVideo): void {
    this.videos[v.id] = v;
    this.byCategory[v.category]?.push(v.id);
  }

  categories(): readonly number[] {
    return this.categoryIds;
  }

  categoryItems(category: number): readonly number[] {
    return this.byCategory[category] ?? [];
  }

  quality(id: number): number {
    if (id >= 0 && id < this.known.length && Number.isInteger(id)) return this.known[id] === 1 ? this.q[id]! : this.prior;
    return this.qOther.get(id) ?? this.prior;
  }

  setPrior(q: number): void {
    this.prior = q;
  }

  setQuality(id: number, q: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < 0x7fffffff)) {
      this.qOther.set(id, q);
      return;
    }
    if (id >= this.known.length) {
      const cap = Math.max(id + 1, this.videos.length, this.known.length * 2, 1024);
      const nq = new Float64Array(cap);
      nq.set(this.q);
      const nk = new Uint8Array(cap);
      nk.set(this.known);
      this.q = nq;
      this.known = nk;
    }
    this.q[id] = q;
    this.known[id] = 1;
  }
}

export function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}
