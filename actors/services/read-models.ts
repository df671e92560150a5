import { assertNever, type ReadModelUpdate } from "../../protocols/index.ts";
import { ExposurePool, TrendingCounter } from "../../models/index.ts";

export interface ReadModelsOptions {
  trendingHalfLifeMs: number;
  noveltyRate: number;
  maxCategoryShare: number;
  maxCategoryRun: number;
  exposurePenalty: number;
  /** Half-life of the recent-exposure counter the exposure penalty reads (clock ms). */
  exposureHalfLifeMs: number;
}

/**
 * A node's replica of the read-mostly state: exposure pools of videos under test, trending counters,
 * integrity flags and the stabilizer's settings. Feeds read it locally; coordinators change it only through
 * `publish`, which the cluster layer turns into a broadcast (embedded mode: applied here directly).
 */
export class ReadModels {
  readonly pool = new ExposurePool(1);
  readonly trending: TrendingCounter;
  readonly flaggedVideos = new Set<number>();
  readonly flaggedSessions = new Set<string>();
  /** Ladder stage of each video in a pool. */
  readonly stageOf = new Map<number, number>();
  private readonly poolCohorts = new Map<number, string[]>();
  noveltyRate: number;
  maxCategoryShare: number;
  maxCategoryRun: number;
  /** Weight of the exposure-aware ranking penalty (0 = off). */
  exposurePenalty: number;
  /** This node's recent impressions per video (cohort "*"), decayed; read by the exposure penalty. */
  readonly exposure: TrendingCounter;
  private exposureTotal = 0;
  private exposureTotalAt = -1;
  private readonly exposureHalfLifeMs: number;
  private relAt = NaN;
  private relSize = 0;
  private relScale = 0;
  applied = 0;
  private publisher: (u: ReadModelUpdate) => void = (u) => this.apply(u);

  constructor(o: ReadModelsOptions) {
    this.trending = new TrendingCounter(o.trendingHalfLifeMs);
    this.noveltyRate = o.noveltyRate;
    this.maxCategoryShare = o.maxCategoryShare;
    this.maxCategoryRun = o.maxCategoryRun;
    this.exposurePenalty = o.exposurePenalty;
    this.exposureHalfLifeMs = o.exposureHalfLifeMs;
    this.exposure = new TrendingCounter(o.exposureHalfLifeMs);
  }

  /** Counts an impression on this node (the exposure penalty's input). */
  recordExposure(videoId: number, nowMs: number): void {
    this.exposure.record("*", videoId, 1, nowMs);
    this.exposureTotal = this.decayedTotal(nowMs) + 1;
    this.exposureTotalAt = nowMs;
    this.relAt = NaN;
  }

  /**
   * Recent impressions of one video relative to the catalog mean (0 when nothing was served yet). A feed asks
   * this for each of its candidates at one clock time: the scale is computed once per time and catalog size.
   */
  relativeExposure(videoId: number, catalogSize: number, nowMs: number): number {
    if (nowMs !== this.relAt || catalogSize !== this.relSize) {
      const total = this.decayedTotal(nowMs);
      const f = this.exposure.decayFactor(nowMs);
      this.relScale = total > 0 && catalogSize > 0 && f !== undefined ? (f * catalogSize) / total : 0;
      this.relAt = nowMs;
      this.relSize = catalogSize;
    }
    if (this.relScale === 0) return 0;
    return (this.exposure.storedValues("*")?.get(videoId) ?? 0) * this.relScale;
  }

  private decayedTotal(nowMs: number): number {
    if (this.exposureTotalAt < 0) return 0;
    return this.exposureTotal * Math.pow(0.5, Math.max(0, nowMs - this.exposureTotalAt) / this.exposureHalfLifeMs);
  }

  /** Routes published updates (the cluster layer broadcasts them to every node's `apply`). */
  setPublisher(p: (u: ReadModelUpdate) => void): void {
    this.publisher = p;
  }

  publish(u: ReadModelUpdate): void {
    this.publisher(u);
  }

  apply(u: ReadModelUpdate): void {
    this.applied++;
    switch (u.type) {
      case "pool.add":
        this.removeFromPools(u.videoId);
        for (const c of u.cohorts) this.pool.add(c, u.videoId, u.at, u.budget);
        this.poolCohorts.set(u.videoId, u.cohorts);
        this.stageOf.set(u.videoId, u.stage);
        return;
      case "pool.remove":
        this.removeFromPools(u.videoId);
        this.stageOf.delete(u.videoId);
        return;
      case "flag.video":
        this.flaggedVideos.add(u.videoId);
        return;
      case "flag.session":
        this.flaggedSessions.add(u.sessionKey);
        return;
      case "novelty":
        this.noveltyRate = u.rate;
        this.maxCategoryShare = u.maxCategoryShare;
        this.maxCategoryRun = u.maxCategoryRun;
        this.exposurePenalty = u.exposurePenalty;
        return;
      default:
        assertNever(u, "read-model update");
    }
  }

  /** Counts an impression of a pooled video in the cohorts it is tested in. */
  recordPoolImpression(videoId: number): void {
    const cohorts = this.poolCohorts.get(videoId);
    if (cohorts !== undefined) for (const c of cohorts) this.pool.recordImpression(c, videoId);
  }

  private removeFromPools(videoId: number): void {
    const cohorts = this.poolCohorts.get(videoId);
    if (cohorts === undefined) return;
    for (const c of cohorts) this.pool.remove(c, videoId);
    this.poolCohorts.delete(videoId);
  }
}
