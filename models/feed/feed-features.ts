import type { RankContext, RankRow } from "./ranker.ts";

/**
 * Feature rows of the feed world's ranker (the synthetic catalog's content space, not KuaiRand's): scalars
 * about the candidate, the session and their match, then three `dims`-wide blocks: the user's short-term
 * interest, the video's content vector and their element-wise product (the interaction an MLP over a plain
 * concatenation finds hard to learn).
 */
export const FEED_SCALARS = [
  "similarity", "affinity", "quality", "log_duration", "fatigue", "log_depth", "log_since_last", "has_interest",
  "watch_share", "skip_share", "consecutive_skips", "category_shown_share", "category_engaged_rate", "log_served",
] as const;
const NS = FEED_SCALARS.length;

export function feedFeatureWidth(dims: number): number {
  return NS + 3 * dims;
}

const l1p = Math.log1p;

/** Writes one feature row per rank row into `out` (row-major, `feedFeatureWidth(dims)` wide). */
export function writeFeedFeatures(out: Float32Array, rows: readonly RankRow[], ctx: RankContext, dims: number): void {
  const s = ctx.session;
  const w = feedFeatureWidth(dims);
  // the session side, once per request
  const served = Math.max(1, s.served);
  const sinceLast = s.lastEventAt < 0 ? -1 : Math.max(0, ctx.nowMs - s.lastEventAt);
  const user = [
    s.fatigue,
    l1p(ctx.depth) / 3,
    sinceLast < 0 ? 1.5 : l1p(sinceLast / 1000) / 10,
    s.shortWeight > 0 ? 1 : 0,
    s.watches / served,
    s.skips / served,
    Math.min(10, s.consecutiveSkips) / 10,
  ];
  const norm = Math.sqrt(s.short.reduce((a, x) => a + x * x, 0)) || 1;
  const scale = Math.sqrt(dims);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const v = row.video;
    const o = r * w;
    const shown = s.catShown[v.category] ?? 0;
    out[o + 0] = row.similarity;
    out[o + 1] = row.affinity;
    out[o + 2] = row.quality;
    out[o + 3] = l1p(v.durationMs / 1000) / 5;
    for (let k = 0; k < user.length; k++) out[o + 4 + k] = user[k]!;
    out[o + 11] = shown / served;
    out[o + 12] = shown > 0 ? (s.catEngaged[v.category] ?? 0) / shown : 0;
    out[o + 13] = l1p(s.served) / 5;
    const a = o + NS;
    const b = a + dims;
    const c = b + dims;
    for (let d = 0; d < dims; d++) {
      const u = (s.short[d] ?? 0) / norm;
      const x = v.vector[d] ?? 0;
      out[a + d] = u * scale;
      out[b + d] = x * scale;
      out[c + d] = u * x * dims;
    }
  }
}
