/**
 * The ranker's heads, in output order. `watch_ratio` is E[min(watch_ratio, cap)] / cap (duration-aware: a
 * ratio, not milliseconds); the others are probabilities. `long_view` is auxiliary: it is trained and
 * evaluated (KuaiRand's main engagement label) but not part of the seed score.
 */
export const HEADS = ["watch_ratio", "complete", "rewatch", "continue", "skip_fast", "long_view"] as const;
export type Head = (typeof HEADS)[number];
export const NUM_HEADS = HEADS.length;

/** Config `ranking.weights`: R = a1·E[wt] + a2·P(complete) + a3·P(rewatch) + a4·P(continue) − a5·P(skip_fast) − a6·fatigue. */
export interface RankingWeights {
  watchTime: number;
  complete: number;
  rewatch: number;
  continue: number;
  skipFast: number;
  fatigue: number;
}

/** The seed score of row `r` of head-major predictions (`preds[h][r]`). */
export function seedScore(preds: readonly ArrayLike<number>[], r: number, w: RankingWeights, fatigue: number): number {
  return (
    w.watchTime * preds[0]![r]! +
    w.complete * preds[1]![r]! +
    w.rewatch * preds[2]![r]! +
    w.continue * preds[3]![r]! -
    w.skipFast * preds[4]![r]! -
    w.fatigue * fatigue
  );
}

/** Labels of one interaction as head targets in [0, 1], or undefined when the source cannot tell. */
export function headTargets(
  l: { watchRatio: number | null; complete: boolean | null; rewatch: boolean | null; skipFast: boolean | null; longView: boolean | null },
  continues: boolean,
  watchRatioCap: number,
): number[] | undefined {
  if (l.watchRatio === null || l.complete === null || l.rewatch === null || l.skipFast === null || l.longView === null) return undefined;
  return [Math.min(l.watchRatio, watchRatioCap) / watchRatioCap, +l.complete, +l.rewatch, +continues, +l.skipFast, +l.longView];
}
