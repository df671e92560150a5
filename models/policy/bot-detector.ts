/** The `integrity.bot` config slice. */
export interface BotDetectorConfig {
  /** Fewer events than this: not enough evidence, never flagged. */
  minEvents: number;
  /** Coefficient of variation of inter-event gaps below this is inhumanly regular (humans are ~1). */
  maxGapCv: number;
  /** Completion rate at or above this is "perfect". */
  perfectCompletion: number;
  /** More than burstEvents events within burstWindowMs is a burst. */
  burstEvents: number;
  burstWindowMs: number;
  /** Signals (of regular timing, perfect completion, bursts) needed to flag. */
  minSignals: number;
}

export interface SessionSignalsState {
  n: number;
  last: number;
  gapMean: number;
  gapM2: number;
  completions: number;
  recent: number[];
  maxBurst: number;
}

export type BotSignal = "regular-timing" | "perfect-completion" | "burst";

export interface BotVerdict {
  bot: boolean;
  signals: BotSignal[];
  gapCv: number;
  completionRate: number;
  maxBurst: number;
}

/**
 * A session's event summary, O(1) state: Welford mean/variance of inter-event gaps, completion count and
 * the largest count of events inside any burst window (a small ring of recent timestamps, size burstEvents+1).
 */
export class SessionSignals {
  private n = 0;
  private last = 0;
  private gapMean = 0;
  private gapM2 = 0;
  private completions = 0;
  private recent: number[] = [];
  private maxBurst = 0;

  constructor(private readonly burstWindowMs: number, private readonly ringSize = 64) {}

  /** One engagement event at time t (ms) with its watch ratio (>= 1 counts as a completion). */
  record(t: number, watchRatio: number): void {
    if (this.n > 0) {
      const g = t - this.last;
      const k = this.n; // gaps seen after this one
      const d = g - this.gapMean;
      this.gapMean += d / k;
      this.gapM2 += d * (g - this.gapMean);
    }
    this.last = t;
    this.n++;
    if (watchRatio >= 1) this.completions++;
    this.recent.push(t);
    while (this.recent.length > 0 && t - this.recent[0]! > this.burstWindowMs) this.recent.shift();
    if (this.recent.length > this.ringSize) this.recent.shift();
    if (this.recent.length > this.maxBurst) this.maxBurst = this.recent.length;
  }

  verdict(cfg: BotDetectorConfig): BotVerdict {
    const gaps = this.n - 1;
    const sd = gaps > 1 ? Math.sqrt(this.gapM2 / (gaps - 1)) : Number.NaN;
    const gapCv = gaps > 1 && this.gapMean > 0 ? sd / this.gapMean : Number.NaN;
    const completionRate = this.n > 0 ? this.completions / this.n : 0;
    const signals: BotSignal[] = [];
    if (this.n >= cfg.minEvents) {
      if (gapCv < cfg.maxGapCv) signals.push("regular-timing");
      if (completionRate >= cfg.perfectCompletion) signals.push("perfect-completion");
      if (this.maxBurst > cfg.burstEvents) signals.push("burst");
    }
    return { bot: signals.length >= cfg.minSignals, signals, gapCv, completionRate, maxBurst: this.maxBurst };
  }

  toState(): SessionSignalsState {
    return { n: this.n, last: this.last, gapMean: this.gapMean, gapM2: this.gapM2, completions: this.completions, recent: [...this.recent], maxBurst: this.maxBurst };
  }

  static fromState(s: SessionSignalsState, burstWindowMs: number): SessionSignals {
    const x = new SessionSignals(burstWindowMs);
    Object.assign(x, { ...s, recent: [...s.recent] });
    return x;
  }
}

/** Convenience over a full event list: times (ms, ascending) and watch ratios. */
export function detectBotSession(times: ArrayLike<number>, watchRatios: ArrayLike<number>, cfg: BotDetectorConfig): BotVerdict {
  const s = new SessionSignals(cfg.burstWindowMs, cfg.burstEvents + 1);
  for (let i = 0; i < times.length; i++) s.record(times[i]!, watchRatios[i]!);
  return s.verdict(cfg);
}
