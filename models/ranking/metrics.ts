import { createRng } from "../random/rng.ts";

/** ROC AUC of scores against binary labels (ties get half credit); NaN when a class is missing. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j + 2) / 2; // 1-based
    for (let k = i; k <= j; k++) if (labels[idx[k]!]! > 0.5) {
      pos++;
      rankSum += avgRank;
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function mae(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i]! - truth[i]!);
  return s / pred.length;
}

/**
 * XAUC: the share of pairs of rows with different watch times that the predictions order the same way
 * (ties in prediction count half), over `pairs` pairs drawn with a seeded generator.
 */
export function xauc(pred: ArrayLike<number>, watchTime: ArrayLike<number>, pairs = 1_000_000, seed = 1): number {
  const rng = createRng(seed);
  const n = pred.length;
  let good = 0;
  let total = 0;
  for (let k = 0; k < pairs; k++) {
    const i = rng.int(n);
    const j = rng.int(n);
    const dt = watchTime[i]! - watchTime[j]!;
    if (dt === 0) continue;
    const dp = pred[i]! - pred[j]!;
    total++;
    if (dp === 0) good += 0.5;
    else if (dp > 0 === dt > 0) good++;
  }
  return total > 0 ? good / total : Number.NaN;
}

/**
 * Mean NDCG@k over groups (e.g. user-days): each group's rows ranked by `score`, gains `gain`; groups with
 * fewer than 2 rows or no positive gain are skipped (their NDCG is undefined or trivially 1).
 */
export function ndcgAtK(groups: readonly (readonly number[])[], score: ArrayLike<number>, gain: ArrayLike<number>, k: number): { ndcg: number; groups: number } {
  let sum = 0;
  let count = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    const ideal = [...g].sort((a, b) => gain[b]! - gain[a]!);
    let idcg = 0;
    for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += gain[ideal[i]!]! / Math.log2(i + 2);
    if (idcg <= 0) continue;
    // ties in score are broken by the row order (stable), the same for every model
    const ranked = [...g].sort((a, b) => score[b]! - score[a]!);
    let dcg = 0;
    for (let i = 0; i < Math.min(k, ranked.length); i++) dcg += gain[ranked[i]!]! / Math.log2(i + 2);
    sum += dcg / idcg;
    count++;
  }
  return { ndcg: count > 0 ? sum / count : Number.NaN, groups: count };
}
