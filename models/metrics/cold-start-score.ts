/** How a video did in one exposure stage, or a cohort's baseline for the same measures. */
export interface StagePerformance {
  /** Mean watch time (ms or s, the same unit as the baseline). */
  watchTime: number;
  /** Completion rate in [0, 1]. */
  completion: number;
  /** Skip rate in [0, 1]. */
  skipRate: number;
}

/** The `viral` config slice. Follower count is never an input: there is no field for it on purpose. */
export interface ViralConfig {
  /** Score weights: w·wt/base_wt + c·completion/base_completion − s·skip/base_skip (seed 0.4, 0.4, 0.2). */
  weights: { watchTime: number; completion: number; skip: number };
  /** Impressions of each stage's pool, stage 0 first (e.g. 300, 3000, 30000): ~×10 per promotion. */
  stagePools: number[];
  /** Score at or above which a finished stage promotes (a video matching its baselines scores 0.6). */
  promoteThreshold: number;
  /** Score below which a video retires before its pool is used up, once earlyRetireFraction of it is spent. */
  retireThreshold: number;
  earlyRetireFraction: number;
}

/** The seed's cold-start score against cohort baselines; a baseline of 0 is guarded, not divided by. */
export function coldStartScore(perf: StagePerformance, baseline: StagePerformance, w: ViralConfig["weights"]): number {
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
export function viralDecision(stage: number, impressions: number, perf: StagePerformance, baseline: StagePerformance, cfg: ViralConfig): ViralDecision {
  const score = coldStartScore(perf, baseline, cfg.weights);
  const pool = cfg.stagePools[stage] ?? 0;
  if (impressions < pool) {
    const early = impressions >= cfg.earlyRetireFraction * pool && score < cfg.retireThreshold;
    return early ? { action: "retire", stage, score } : { action: "continue", stage, score };
  }
  if (score < cfg.promoteThreshold) return { action: "retire", stage, score };
  const next = stage + 1;
  if (next >= cfg.stagePools.length) return { action: "graduate", stage, score };
  return { action: "promote", stage, nextStage: next, pool: cfg.stagePools[next]!, score };
}
