import { createRng, uniformAt, type Rng } from "../../random/rng.ts";
import { binOf } from "./fit-world.ts";
import { gamma, inverseCdf, pickCumulative } from "./distributions.ts";
import type { WorldParams } from "./world-params.ts";

export interface SyntheticUser {
  userId: number;
  /** Interactions this user makes over a window like the source's. */
  activity: number;
  /** Taste: a probability over `params.categories.ids` (same order), summing to 1. */
  affinity: Float64Array;
}

export interface SyntheticVideo {
  videoId: number;
  durationMs: number;
  /** Index into params.categories.ids. */
  categoryIndex: number;
  category: number;
  authorId: number;
}

export interface SyntheticInteraction {
  userId: number;
  videoId: number;
  durationMs: number;
  watchRatio: number;
  playMs: number;
}

/**
 * A world of `users` × `videos` calibrated by WorldParams. Nothing is materialised: user i and video j are
 * pure functions of (seed, i) and (seed, j), so 10M users / 1M videos cost nothing until asked for, and
 * every node derives the same world from the same seed.
 *
 * Videos are laid out in per-category blocks sized by the catalogue's category shares (the category of
 * video j is a binary search, and "a random video of category c" is one draw inside its block).
 */
export class SyntheticWorld {
  private readonly blockStart: Float64Array;
  private readonly interactionCum: Float64Array;
  private readonly alphas: Float64Array;
  private readonly exposureMax: number;
  private readonly userRoot: Rng;

  constructor(readonly params: WorldParams, readonly seed: number, readonly users: number, readonly videos: number) {
    const cats = params.categories;
    const K = cats.ids.length;
    // Largest-remainder rounding, every category at least one video when there is room.
    const raw = cats.videoShare.map((s) => s * videos);
    const size = raw.map((x) => (videos >= K ? Math.max(1, Math.floor(x)) : Math.floor(x)));
    let left = videos - size.reduce((a, b) => a + b, 0);
    const order = raw.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
    for (let k = 0; left > 0; k = (k + 1) % K, left--) size[order[k]![1]]!++;
    for (let k = K - 1; left < 0; k = (k + K - 1) % K) if (size[k]! > 1) { size[k]!--; left++; }
    this.blockStart = new Float64Array(K + 1);
    for (let k = 0; k < K; k++) this.blockStart[k + 1] = this.blockStart[k]! + size[k]!;
    this.interactionCum = cumulative(cats.interactionShare);
    this.alphas = Float64Array.from(cats.interactionShare, (p) => Math.max(1e-4, p * params.affinity.concentration));
    this.exposureMax = Math.max(...params.exposure.weight, 1e-9);
    this.userRoot = createRng(seed).fork("user");
  }

  user(i: number): SyntheticUser {
    const rng = this.userRoot.fork(i);
    const ua = this.params.userActivity;
    const activity = Math.max(1, Math.round(inverseCdf(ua.quantiles, rng.next(), ua.tailMax)));
    const K = this.alphas.length;
    const affinity = new Float64Array(K);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += affinity[k] = gamma(rng, this.alphas[k]!);
    if (sum > 0) for (let k = 0; k < K; k++) affinity[k]! /= sum;
    else affinity[pickCumulative(this.interactionCum, rng.next())] = 1;
    return { userId: i, activity, affinity };
  }

  video(j: number): SyntheticVideo {
    const k = upperBound(this.blockStart, j) - 1;
    const d = this.params.durationMs;
    return {
      videoId: j,
      durationMs: Math.max(1, Math.round(inverseCdf(d.quantiles, uniformAt(this.seed, "vdur", j), d.tailMax))),
      categoryIndex: k,
      category: this.params.categories.ids[k]!,
      authorId: Math.floor(uniformAt(this.seed, "vauthor", j) * Math.max(1, this.videos / 4)),
    };
  }

  /** A video of category index k, drawn with the source's exposure bias towards some durations. */
  videoInCategory(k: number, rng: Rng): SyntheticVideo {
    const start = this.blockStart[k]!;
    const size = this.blockStart[k + 1]! - start;
    if (size <= 0) return this.video(rng.int(this.videos));
    const ex = this.params.exposure;
    for (let tries = 0; ; tries++) {
      const v = this.video(start + rng.int(size));
      const w = ex.weight[binOf(ex.durationEdgesMs, v.durationMs)]!;
      if (tries >= 32 || rng.next() * this.exposureMax < w) return v;
    }
  }

  /** The watch ratio user u gives video v on its `counter`-th view: a pure function of its arguments. */
  watchRatio(u: SyntheticUser, v: SyntheticVideo, counter: number): number {
    const wr = this.params.watchRatio;
    const cell = wr.cells[binOf(wr.affinityEdges, u.affinity[v.categoryIndex] ?? 0)]![binOf(wr.durationEdgesMs, v.durationMs)]!;
    return Math.max(0, inverseCdf(cell.quantiles, uniformAt(this.seed, `w${u.userId}`, counter, v.videoId), cell.tailMax));
  }

  /** The `activity` interactions of user i: category by taste, video by exposure, watch ratio by response. */
  *interactionsOf(i: number): Generator<SyntheticInteraction> {
    const u = this.user(i);
    const rng = createRng(this.seed).fork("inter").fork(i);
    const K = u.affinity.length;
    const cum = new Float64Array(K);
    let acc = 0;
    for (let k = 0; k < K; k++) cum[k] = acc += u.affinity[k]!;
    for (let n = 0; n < u.activity; n++) {
      const v = this.videoInCategory(pickCumulative(cum, rng.next()), rng);
      const watchRatio = this.watchRatio(u, v, n);
      yield { userId: i, videoId: v.videoId, durationMs: v.durationMs, watchRatio, playMs: Math.round(watchRatio * v.durationMs) };
    }
  }
}

function cumulative(xs: readonly number[]): Float64Array {
  const out = new Float64Array(xs.length);
  let acc = 0;
  xs.forEach((x, i) => (out[i] = acc += x));
  return out;
}

/** First index with a[index] > x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
