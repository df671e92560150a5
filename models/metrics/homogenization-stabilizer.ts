/** The `homogenization` config slice. */
export interface StabilizerConfig {
  enabled: boolean;
  /** Exposure Gini above this is too concentrated. */
  giniMax: number;
  /** Catalog coverage below this is too narrow. */
  coverageMin: number;
  /** Normalised category entropy below this is too homogeneous. */
  entropyMin: number;
  /** Dead band: only when every metric is this far on the good side is the pressure released. */
  hysteresis: number;
  noveltyMin: number;
  noveltyMax: number;
  /** Novelty change per step. */
  step: number;
  /** Calm steps in a row required before lowering (raising is immediate: concentration compounds). */
  calmSteps: number;
  /** Diversity settings at the loosest (novelty at min) and tightest (novelty at max) ends. */
  categoryShareCapLoose: number;
  categoryShareCapTight: number;
  maxCategoryRunLoose: number;
  maxCategoryRunTight: number;
  exposurePenaltyLoose: number;
  exposurePenaltyTight: number;
}

export interface HomogenizationMetrics {
  gini: number;
  coverage: number;
  /** Normalised to [0, 1]. */
  entropy: number;
}

export interface StabilizerSettings {
  noveltyRate: number;
  categoryShareCap: number;
  maxCategoryRun: number;
  /** Weight of the exposure-aware ranking penalty (policy.exposurePenalty). */
  exposurePenalty: number;
  /** What the last step did and why, for the coordinator's log and the run report. */
  direction: "raise" | "lower" | "hold";
}

export interface StabilizerState {
  rate: number;
  calm: number;
}

/**
 * The feedback-loop stabilizer: a bounded step controller with a dead band. Any metric past its bound
 * raises novelty (one step, more the further past it) and tightens the diversity rules and the exposure
 * penalty with it; all metrics comfortably inside (by `hysteresis`) for `calmSteps` steps in a row lowers
 * it one step. In between it holds. Because the
 * raise and lower conditions are separated by the dead band and lowering needs a streak, a metric hovering
 * near its bound cannot make the rate flip every step. One instance per scope (global, or per cohort).
 */
export class HomogenizationStabilizer {
  private rate: number;
  private calm = 0;

  constructor(private readonly cfg: StabilizerConfig, initialRate: number) {
    this.rate = clamp(initialRate, cfg.noveltyMin, cfg.noveltyMax);
  }

  get noveltyRate(): number {
    return this.rate;
  }

  update(m: HomogenizationMetrics): StabilizerSettings {
    const c = this.cfg;
    let direction: StabilizerSettings["direction"] = "hold";
    if (c.enabled) {
      const over = m.gini > c.giniMax || m.coverage < c.coverageMin || m.entropy < c.entropyMin;
      const wellInside = m.gini < c.giniMax - c.hysteresis && m.coverage > c.coverageMin + c.hysteresis && m.entropy > c.entropyMin + c.hysteresis;
      if (over) {
        this.calm = 0;
        // proportional raise: one step, plus one per hysteresis width past the bound (at most MAX_RAISE_STEPS),
        // so a sudden jump (a loop closing after a random warm-up) is met in a few steps rather than dozens
        const past = Math.max(m.gini - c.giniMax, c.coverageMin - m.coverage, c.entropyMin - m.entropy);
        const steps = Math.min(MAX_RAISE_STEPS, 1 + Math.floor(c.hysteresis > 0 ? past / c.hysteresis : 0));
        const r = clamp(this.rate + steps * c.step, c.noveltyMin, c.noveltyMax);
        if (r !== this.rate) direction = "raise";
        this.rate = r;
      } else if (wellInside) {
        this.calm++;
        if (this.calm >= c.calmSteps) {
          this.calm = 0;
          const r = clamp(this.rate - c.step, c.noveltyMin, c.noveltyMax);
          if (r !== this.rate) direction = "lower";
          this.rate = r;
        }
      } else {
        this.calm = 0;
      }
    }
    return this.settings(direction);
  }

  settings(direction: StabilizerSettings["direction"] = "hold"): StabilizerSettings {
    const c = this.cfg;
    const span = c.noveltyMax - c.noveltyMin;
    const t = span > 0 ? (this.rate - c.noveltyMin) / span : 0;
    return {
      noveltyRate: this.rate,
      categoryShareCap: c.categoryShareCapLoose + t * (c.categoryShareCapTight - c.categoryShareCapLoose),
      maxCategoryRun: Math.max(1, Math.round(c.maxCategoryRunLoose + t * (c.maxCategoryRunTight - c.maxCategoryRunLoose))),
      exposurePenalty: c.exposurePenaltyLoose + t * (c.exposurePenaltyTight - c.exposurePenaltyLoose),
      direction,
    };
  }

  toState(): StabilizerState {
    return { rate: this.rate, calm: this.calm };
  }

  static fromState(cfg: StabilizerConfig, s: StabilizerState): HomogenizationStabilizer {
    const x = new HomogenizationStabilizer(cfg, s.rate);
    x.calm = s.calm;
    return x;
  }
}

/** Most steps one update may raise by. */
const MAX_RAISE_STEPS = 5;

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
