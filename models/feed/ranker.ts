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
export function rankRows(ids: readonly number[], lookup: (id: number) => FeedVideo | undefined, session: SessionModel, affinityShare: readonly number[], quality: (id: number) => number): RankRow[] {
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
  const rows: RankRow[] = [];
  for (const id of ids) {
    const video = lookup(id);
    if (video === undefined) continue;
    rows.push({
      video,
      similarity: useSimilarity ? dotF32(q, video.vector) / norm : 0,
      affinity: affinityShare[video.category] ?? 0,
      quality: quality(id),
    });
  }
  return rows;
}

let shortScratch = new Float64Array(0);

/** `dot(a, b)` for the one pair of array kinds rankRows reads (same order of additions). */
function dotF32(a: Float64Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}
