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
  /** Recomputes each category's best-first list from the quality estimates (called on a tick). */
  refreshTop(perCategory: number): void;
  /** A category's best-first list as of the last `refreshTop`. */
  topItems(category: number, limit: number): readonly number[];
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
  // Quality estimates by video id: a flat array (refreshTop reads every video's estimate, and a Map lookup
  // per video made that a 17 ms block of the serving loop at 100k videos); `known` marks the ones set.
  private q = new Float64Array(0);
  private known = new Uint8Array(0);
  private readonly qOther = new Map<number, number>();
  private prior = 0.5;
  private jitter = new Float64Array(0);
  private top: number[][];
  private readonly centroids: Float32Array[];
  private readonly noise: number;

  constructor(world: SyntheticWorld, readonly dims: number, opts: { noise?: number } = {}) {
    const K = world.params.categories.ids.length;
    this.numCategories = K;
    this.byCategory = Array.from({ length: K }, () => []);
    this.top = Array.from({ length: K }, () => []);
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
    this.refreshTop(200);
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
    return this.byCategory.map((_, k) => k);
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

  refreshTop(perCategory: number): void {
    // A bounded min-heap per category (no per-video allocation, O(n log k)): this runs on the serving node's
    // event loop, where a full sort of a large catalog shows up as tail latency.
    // Unknown videos (the prior quality) interleave with proven ones, so exploration keeps finding new items.
    const hs = new Float64Array(perCategory);
    const hi = new Int32Array(perCategory);
    const jitter = this.tieBreaks();
    const q = this.q, known = this.known;
    this.top = this.byCategory.map((ids) => {
      let size = 0;
      for (const id of ids) {
        const score = (id < known.length && known[id] === 1 ? q[id]! : this.quality(id)) + (id < jitter.length ? jitter[id]! : tieBreak(id));
        if (size === perCategory && score <= hs[0]!) continue;
        let i: number;
        if (size < perCategory) {
          i = size++;
          while (i > 0) {
            const p = (i - 1) >> 1;
            if (hs[p]! <= score) break;
            hs[i] = hs[p]!;
            hi[i] = hi[p]!;
            i = p;
          }
        } else {
          i = 0;
          for (;;) {
            const l = 2 * i + 1;
            if (l >= size) break;
            const m = l + 1 < size && hs[l + 1]! < hs[l]! ? l + 1 : l;
            if (hs[m]! >= score) break;
            hs[i] = hs[m]!;
            hi[i] = hi[m]!;
            i = m;
          }
        }
        hs[i] = score;
        hi[i] = id;
      }
      return bestFirst(hs, hi, size);
    });
  }

  /** Per-id tie-break offsets of refreshTop, computed once per id (a double modulo per video per refresh was a third of it). */
  private tieBreaks(): Float64Array {
    const n = this.videos.length;
    if (this.jitter.length < n) {
      const j = new Float64Array(Math.max(n, this.jitter.length * 2));
      j.set(this.jitter);
      for (let id = this.jitter.length; id < j.length; id++) j[id] = tieBreak(id);
      this.jitter = j;
    }
    return this.jitter;
  }

  topItems(category: number, limit: number): readonly number[] {
    return (this.top[category] ?? []).slice(0, limit);
  }
}

/**
 * The ids of the heap's `size` entries by score descending, ties by lower id: the order a sort with that
 * comparator gives (ids are distinct, so the order is total), by heapsort in place: no index array and
 * no comparator closure per category and refresh.
 */
function bestFirst(hs: Float64Array, hi: Int32Array, size: number): number[] {
  // "below" = comes later in the result: lower score, or the same score and a higher id
  const below = (a: number, b: number): boolean => hs[a]! < hs[b]! || (hs[a] === hs[b] && hi[a]! > hi[b]!);
  const sift = (i: number, n: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const m = l + 1 < n && below(l + 1, l) ? l + 1 : l;
      if (!below(m, i)) return;
      const ts = hs[i]!, ti = hi[i]!;
      hs[i] = hs[m]!;
      hi[i] = hi[m]!;
      hs[m] = ts;
      hi[m] = ti;
      i = m;
    }
  };
  for (let i = (size >> 1) - 1; i >= 0; i--) sift(i, size);
  const out: number[] = new Array(size);
  for (let n = size; n > 0; n--) {
    out[n - 1] = hi[0]!;
    hs[0] = hs[n - 1]!;
    hi[0] = hi[n - 1]!;
    sift(0, n - 1);
  }
  return out;
}

/** A fixed pseudo-random offset below 0.001 per id, so equal quality estimates interleave rather than sort by id. */
function tieBreak(id: number): number {
  return ((id * 2654435761) % 1000) / 1e6;
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
