import { HEADS, seedScore, type RankingWeights } from "./heads.ts";
import type { KuaiRandRows } from "./kuairand-rows.ts";
import { auc, mae, ndcgAtK, xauc } from "./metrics.ts";

/** The offline metrics of one model on the validation rows. */
export interface RankingMetrics {
  auc: { long_view: number; complete: number; skip_fast: number; continue: number; rewatch: number };
  watch_ratio_mae: number;
  xauc: number;
  ndcg10: number;
  rows: number;
  groups: number;
}

const H = Object.fromEntries(HEADS.map((h, i) => [h, i])) as Record<(typeof HEADS)[number], number>;

/**
 * Scores `preds[h][k]` (k-th validation row, head-major) against the validation rows: AUC per head, MAE of
 * E[watch_ratio] (in ratio units, capped), XAUC of predicted watch time (ratio × duration) against play
 * time, and NDCG@10 of each user-day list ranked by the seed score, with the realised seed reward as gain.
 */
export function evaluateRanking(rows: KuaiRandRows, preds: readonly Float32Array[], weights: RankingWeights, watchRatioCap: number): RankingMetrics {
  const from = rows.trainRows;
  const n = rows.validRows;
  const y = rows.y.map((a) => a.subarray(from, from + n));
  const a = (h: number) => auc(preds[h]!, y[h]!);
  const predWr = Float32Array.from(preds[H.watch_ratio]!, (p) => p * watchRatioCap);
  const trueWr = Float32Array.from(y[H.watch_ratio]!, (p) => p * watchRatioCap);
  const predWt = Float32Array.from(predWr, (p, k) => p * rows.durationMs[from + k]!);
  const groups = new Map<string, number[]>();
  for (let k = 0; k < n; k++) {
    const key = `${rows.userId[from + k]}:${rows.day[from + k]}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(k);
  }
  const score = Float32Array.from({ length: n }, (_, k) => seedScore(preds, k, weights, rows.fatigue[from + k]!));
  const gain = Float32Array.from({ length: n }, (_, k) => Math.max(0, seedScore(y, k, weights, 0)));
  const nd = ndcgAtK([...groups.values()], score, gain, 10);
  return {
    auc: { long_view: a(H.long_view), complete: a(H.complete), skip_fast: a(H.skip_fast), continue: a(H.continue), rewatch: a(H.rewatch) },
    watch_ratio_mae: mae(predWr, trueWr),
    xauc: xauc(predWt, rows.playMs.subarray(from, from + n)),
    ndcg10: nd.ndcg,
    rows: n,
    groups: nd.groups,
  };
}
