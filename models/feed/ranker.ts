import type { FeedVideo } from "./feed-catalog.ts";
import type { SessionModel } from "./session-model.ts";
import { dot } from "./feed-catalog.ts";
import type { RankingWeights } from "../ranking/heads.ts";

/** Per-objective predictions for one (user, video) pair (DESIGN.md §5.2). */
export interface ObjectivePredictions {
  /** E[watch time] as a watch ratio (duration-aware). */
  watchRatio: number;
  complete: number;
  rewatch: number;
  continue: number;
  skipFast: number;
}

/** One candidate to score, with the features every ranker may use. */
export interface RankRow {
  video: FeedVideo;
  /** Cosine between the short-term interest and the video's content vector (0 with no interest). */
  similarity: number;
  /** The user's long-term affinity share for the video's category. */
  affinity: number;
  /** The video's live quality estimate (smoothed engagement), 0.5 when unknown. */
  quality: number;
}

export interface RankContext {
  session: SessionModel;
  nowMs: number;
  /** Items served so far in this session. */
  depth: number;
}

/** A multi-objective ranker: the ONNX multi-task model, or the prior below when no model is loaded. */
export interface Ranker {
  readonly version: string;
  predict(rows: readonly RankRow[], ctx: RankContext): ObjectivePredictions[] | Promise<ObjectivePredictions[]>;
}

/** The seed's score of one candidate's predictions (models/ranking/heads.ts scores head-major batches). */
export function seedScore(p: ObjectivePredictions, w: RankingWeights, fatigue: number): number {
  return (
    w.watchTime * p.watchRatio +
    w.complete * p.complete +
    w.rewatch * p.rewatch +
    w.continue * p.continue -
    w.skipFast * p.skipFast -
    w.fatigue * fatigue
  );
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * A hand-set logistic prior over similarity, affinity, quality, duration and fatigue. It ranks before any
 * model is trained (fresh embedded runs) and is the fallback when the model service is unavailable.
 */
export class PriorRanker implements Ranker {
  readonly version = "prior-v1";

  predict(rows: readonly RankRow[], ctx: RankContext): ObjectivePredictions[] {
    const fatigue = ctx.session.fatigue;
    return rows.map((r) => {
      const durS = r.video.durationMs / 1000;
      const lin = -0.4 + 1.6 * r.similarity + 2.5 * r.affinity + 1.5 * (r.quality - 0.5) - 0.4 * fatigue;
      const watchRatio = Math.min(1.5, Math.max(0, 0.15 + 0.9 * sigmoid(lin) - 0.004 * Math.max(0, durS - 30)));
      const complete = sigmoid(lin - 0.8 - 0.03 * durS);
      return {
        watchRatio,
        complete,
        rewatch: 0.25 * complete * complete,
        continue: sigmoid(2 - 3 * fatigue + 0.5 * lin),
        skipFast: sigmoid(-lin - 0.5),
      };
    });
  }
}

/** Builds rank rows for candidate ids (cosine on unit vectors is a dot product). */
export function rankRows(ids: ArrayLike<number>, lookup: (id: number) => FeedVideo | undefined, session: SessionModel, affinityShare: readonly number[], quality: (id: number) => number, count = ids.length): RankRow[] {
  // The interest vector arrives as whatever array kind the session's history made it (a fresh model, a
  // restored one, ...), and a dot product reading several kinds runs ~10x slower than over one: copy it
  // into a typed scratch once per request (the same doubles, so the same sums) and loop over that.
  const dims = session.short.length;
  if (shortScratch.length !== dims) shortScratch = new Float64Array(dims);
  const q = shortScratch;
  for (let d = 0; d < dims; d++) q[d] = session.short[d]!;
  let qq = 0;
  for (let d = 0; d < dims; d++) qq += q[d]! * q[d]!;
  const norm = Math.sqrt(qq) || 1;
  const useSimilarity = session.shortWeight > 0;
  // the videos found and their ids, in scratch arrays reused across requests (cleared below)
  const videos = videoScratch;
  if (foundScratch.length < count) foundScratch = new Float64Array(Math.max(256, count * 2));
  const found = foundScratch;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    const video = lookup(id);
    if (video === undefined) continue;
    videos[n] = video;
    found[n++] = id;
  }
  if (simScratch.length < n) simScratch = new Float64Array(Math.max(256, n * 2));
  const sim = simScratch;
  if (useSimilarity) {
    // four candidates at a time: independent chains of additions, each still in index order (the same sums)
    let i = 0;
    for (; i + 4 <= n; i += 4) dotF32x4(q, videos[i]!.vector, videos[i + 1]!.vector, videos[i + 2]!.vector, videos[i + 3]!.vector, sim, i);
    for (; i < n; i++) sim[i] = dotF32(q, videos[i]!.vector);
  }
  const rows: RankRow[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const video = videos[i]!;
    rows[i] = {
      video,
      similarity: useSimilarity ? sim[i]! / norm : 0,
      affinity: affinityShare[video.category] ?? 0,
      quality: quality(found[i]!),
    };
  }
  videos.length = 0;
  return rows;
}

const videoScratch: FeedVideo[] = [];
let foundScratch = new Float64Array(0);
let simScratch = new Float64Array(0);
let shortScratch = new Float64Array(0);

/** `dot(a, b)` for the one pair of array kinds rankRows reads: unrolled, the additions in index order (the same sum). */
function dotF32(a: Float64Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) s = s + a[i]! * b[i]! + a[i + 1]! * b[i + 1]! + a[i + 2]! * b[i + 2]! + a[i + 3]! * b[i + 3]!;
  for (; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/** `out[at + k] = dotF32(a, bk)` for four vectors at once (vectors of one length, as the catalog's are; else one by one). */
function dotF32x4(a: Float64Array, b0: Float32Array, b1: Float32Array, b2: Float32Array, b3: Float32Array, out: Float64Array, at: number): void {
  const n = a.length;
  if (b0.length !== n || b1.length !== n || b2.length !== n || b3.length !== n) {
    out[at] = dotF32(a, b0);
    out[at + 1] = dotF32(a, b1);
    out[at + 2] = dotF32(a, b2);
    out[at + 3] = dotF32(a, b3);
    return;
  }
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const x0 = a[i]!, x1 = a[i + 1]!, x2 = a[i + 2]!, x3 = a[i + 3]!;
    s0 = s0 + x0 * b0[i]! + x1 * b0[i + 1]! + x2 * b0[i + 2]! + x3 * b0[i + 3]!;
    s1 = s1 + x0 * b1[i]! + x1 * b1[i + 1]! + x2 * b1[i + 2]! + x3 * b1[i + 3]!;
    s2 = s2 + x0 * b2[i]! + x1 * b2[i + 1]! + x2 * b2[i + 2]! + x3 * b2[i + 3]!;
    s3 = s3 + x0 * b3[i]! + x1 * b3[i + 1]! + x2 * b3[i + 2]! + x3 * b3[i + 3]!;
  }
  for (; i < n; i++) {
    const x = a[i]!;
    s0 += x * b0[i]!;
    s1 += x * b1[i]!;
    s2 += x * b2[i]!;
    s3 += x * b3[i]!;
  }
  out[at] = s0;
  out[at + 1] = s1;
  out[at + 2] = s2;
  out[at + 3] = s3;
}
