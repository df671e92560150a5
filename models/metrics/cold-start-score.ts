/** How a video did in one exposure stage, or a cohort's baseline for the same measures. */
export interface StagePerformance {
  /** Mean watch time (ms or s, the same unit as the baseline). */
  watchTime: number;
  /** Completion rate in [0, 1]. */
  completion: number;
  /** Skip rate in [0, 1]. */
  skipRate: number;
}

/** The exposure ladder (the lead's `feed.viral` slice): per-stage impression budgets and promotion scores. */
export interface ViralLadder {
  /** Impressions of each stage's pool, stage 0 first (e.g. 300, 3000, 30000): ~×10 per promotion. */
  stageBudgets: readonly number[];
  /** Cold-start score a video needs at each stage's end to be promoted (a video matching its baselines scores 0.6). */
  promoteAt: readonly number[];
}

/** The `coldStart` config slice. Follower count is never an input: there is no field for it, on purpose. */
export interface ColdStartConfig {
  /** Score weights: w·wt/base_wt + c·completion/base_completion − s·skip/base_skip (seed 0.4, 0.4, 0.2). */
  weights: { watchTime: number; completion: number; skip: number };
  /** Score below which a video retires before its stage budget is spent, once earlyRetireFraction of it is. */
  earlyRetireBelow: number;
  earlyRetireFraction: number;
}

/** The seed's cold-start score against cohort baselines; a baseline of 0 is guarded, not divided by. */
export function coldStartScore(perf: StagePerformance, baseline: StagePerformance, w: ColdStartConfig["weights"]): number {
  const ratio = (x: number, b: number) => (b > 1e-12 ? x / b : x > 0 ? 2 : 1);
  return w.watchTime * ratio(perf.watchTime, baseline.watchTime) + w.completion * ratio(perf.completion, baseline.completion) - w.skip * ratio(perf.skipRate, baseline.skipRate);
}

export type ViralDecision =
  | { action: "continue"; stage: number; score: number }
  | { action: "promote"; stage: number; nextStage: number; pool: number; score: number }
  | { action: "retire"; stage: number; score: number }
  | { action: "graduate"; stage: number; score: number };

/**
 * The viral ladder's decision for a video in `stage` after `impressions` of that stage's pool: keep going,
 * promote to the next pool, retire (weak at the end, or clearly weak early), or graduate (passed the last
 * stage: from now on it competes in ordinary retrieval).
 */
export function viralDecision(stage: number, impressions: number, perf: StagePerformance, baseline: StagePerformance, ladder: ViralLadder, cfg: ColdStartConfig): ViralDecision {
  const score = coldStartScore(perf, baseline, cfg.weights);
  const pool = ladder.stageBudgets[stage] ?? 0;
  if (impressions < pool) {
    const early = impressions >= cfg.earlyRetireFraction * pool && score < cfg.earlyRetireBelow;
    return early ? { action: "retire", stage, score } : { action: "continue", stage, score };
  }
  // a ladder with fewer thresholds than stages reuses the last one
  const bar = ladder.promoteAt[Math.min(stage, ladder.promoteAt.length - 1)] ?? Infinity;
  if (score < bar) return { action: "retire", stage, score };
  const next = stage + 1;
  if (next >= ladder.stageBudgets.length) return { action: "graduate", stage, score };
  return { action: "promote", stage, nextStage: next, pool: ladder.stageBudgets[next]!, score };
}
