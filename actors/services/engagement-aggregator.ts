import type { Logger } from "pino";
import { actorId, type CohortSummary, type HomogenizationSummary, type VideoEngagement } from "../../protocols/index.ts";
import type { FeedCatalog } from "../../models/index.ts";
import type { ActorSystem } from "../actor-system.ts";
import type { TimerHandle } from "../clock.ts";
import type { ReadModels } from "./read-models.ts";

interface VideoCounters {
  stage: number;
  impressions: number;
  watches: number;
  watchRatioSum: number;
  watchMs: number;
  completions: number;
  skips: number;
  likes: number;
  rewatches: number;
}

interface CohortCategory {
  watches: number;
  watchRatioSum: number;
  completions: number;
  skips: number;
}

/** One watch as the aggregator counts it. */
export interface WatchRecord {
  cohort: string;
  videoId: number;
  category: number;
  watchRatio: number;
  watchMs: number;
  completed: boolean;
  skipped: boolean;
  liked: boolean;
  rewatched: boolean;
  /** Engagement weight (trending). */
  weight: number;
  /** The session (actor id) and time, for coordinated-engagement detection. */
  session: string;
  at: number;
}

/** Video messages a wall-clock flush sends per step (see inTurns). */
const WALL_FLUSH_CHUNK = 500;
/** The most clock time between two steps of a wall-clock flush, and the share of flushMs its steps may take. */
const WALL_STEP_GAP_MS = 20;
const WALL_FLUSH_SPREAD = 0.25;

/** Pseudo-views of the quality prior, and the views the catalog-wide mean needs before it replaces 0.5. */
const PRIOR_VIEWS = 5;
const PRIOR_MIN_VIEWS = 100;

/**
 * Per-node pre-aggregation of write-heavy counters (DESIGN.md §3): sessions record here, and every
 * `flushMs` the sums go to the owning video and cohort actors and the homogenization monitor as one
 * message each, instead of one message per event to a hot actor.
 */
export class EngagementAggregator {
  private videos = new Map<number, VideoCounters>();
  private cohorts = new Map<string, Map<number, CohortCategory>>();
  /**
   * This window's impressions per video number (0: none yet) and the videos in first-impression order (what
   * iterating an id -> count Map gave): a flush hands both over without walking a Map of tens of thousands
   * of entries on the serving node's loop, and recording one costs an array access. Ids are catalog video
   * numbers (non-negative integers), as the homogenization window requires.
   */
  private exposureCounts = new Float64Array(1024);
  private exposureIds: number[] = [];
  private categoryCounts: number[];
  private ildSum = 0;
  private feeds = 0;
  private timer: TimerHandle | null = null;
  /** Strong engagements (completions, likes) of this window, for the integrity coordinator's farm detector. */
  private engagements: { sessions: string[]; videos: number[]; times: number[] } = { sessions: [], videos: [], times: [] };
  /** Quality estimates (smoothed mean watch ratio) need all-time sums, not the flush window's. */
  private readonly qualitySums = new Map<number, [number, number]>();
  /** All-time watch-ratio sum and views over every video: the prior of the quality estimates. */
  private globalSum = 0;
  private globalViews = 0;
  flushes = 0;

  constructor(
    private readonly system: ActorSystem,
    private readonly readModels: ReadModels,
    private readonly catalog: FeedCatalog,
    private readonly o: { nodeId: string; flushMs: number; log: Logger },
  ) {
    this.categoryCounts = new Array<number>(catalog.numCategories).fill(0);
  }

  /** Flushes every `flushMs` of clock time; a background timer, so it does not keep a virtual run alive. */
  start(): void {
    const tick = (): void => {
      this.flush();
      this.timer = this.system.clock.setTimer(this.o.flushMs, tick, true);
    };
    this.timer = this.system.clock.setTimer(this.o.flushMs, tick, true);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.drainTurns?.();
  }

  /** Runs the rest of a flush spread over turns now (stop() must not lose a window's sums). */
  private drainTurns: (() => void) | null = null;

  private sent: { promise: Promise<void>; resolve(): void } | null = null;

  /** Resolves when the flush being spread over time (wall clock) has gone out; at once when none is. */
  whenSent(): Promise<void> {
    return this.sent?.promise ?? Promise.resolve();
  }

  /**
   * On the wall clock (a serving node), a flush goes out as steps, each in an event-loop turn of its own
   * `gapMs` apart, with I/O between: the homogenization summary (the coordinator merges it in the turn it
   * is told: 20-50 ms for a serving node's ~60k videos), the cohort summaries and the integrity batch, then
   * the video messages WALL_FLUSH_CHUNK at a time with their quality estimates. Telling tens of thousands of
   * video actors at once blocked a node serving 1,000 GetFeed/s for 140-210 ms every flush; 2,000 per turn
   * back to back, all in the flush's first ~0.3 s, still held it 60-100 ms at a time: the actors activated
   * then survive young-generation collections, and scavenges that copied mostly them paused 30-40 ms each.
   * Paced, each scavenge meets a few hundred of them among the requests' garbage.
   * Virtual-time runs do it all at once, as before (same order, same outcomes).
   */
  private inTurns(steps: (() => void)[], gapMs: number): void {
    this.drainTurns?.(); // a previous flush still going out (a very short flushMs) goes first
    let resolve!: () => void;
    const sent = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    this.sent = sent;
    let at = 0;
    const done = (): void => {
      if (this.drainTurns === drain) this.drainTurns = null;
      if (this.sent === sent) this.sent = null;
      sent.resolve();
    };
    const drain = (): void => {
      this.drainTurns = null;
      while (at < steps.length) steps[at++]!();
      done();
    };
    this.drainTurns = drain;
    const turn = (): void => {
      if (this.drainTurns !== drain) return;
      steps[at++]!();
      if (at < steps.length) setTimeout(turn, gapMs).unref();
      else done();
    };
    setImmediate(turn);
  }

  /** A feed was served (served items count as impressions). */
  recordServed(items: readonly { videoId: number; category: number }[], ild: number): void {
    const now = this.system.clock.now();
    for (const it of items) {
      const c = this.counters(it.videoId);
      c.impressions++;
      this.countExposure(it.videoId);
      this.categoryCounts[it.category] = (this.categoryCounts[it.category] ?? 0) + 1;
      this.readModels.recordPoolImpression(it.videoId);
      this.readModels.recordExposure(it.videoId, now);
    }
    this.ildSum += ild;
    this.feeds++;
  }

  private countExposure(id: number): void {
    let ec = this.exposureCounts;
    if (id >= ec.length) {
      const grown = new Float64Array(Math.max(id + 1, ec.length * 2));
      grown.set(ec);
      this.exposureCounts = ec = grown;
    }
    if (ec[id] === 0) this.exposureIds.push(id);
    ec[id]!++;
  }

  /** A like or rewatch of a video already counted as watched. */
  recordReaction(videoId: number, kind: "like" | "rewatch"): void {
    const c = this.counters(videoId);
    if (kind === "like") c.likes++;
    else c.rewatches++;
  }

  recordWatch(w: WatchRecord, nowMs: number): void {
    if (w.completed) {
      this.engagements.sessions.push(w.session);
      this.engagements.videos.push(w.videoId);
      this.engagements.times.push(w.at);
    }
    const c = this.counters(w.videoId);
    c.watches++;
    c.watchRatioSum += w.watchRatio;
    c.watchMs += w.watchMs;
    if (w.completed) c.completions++;
    if (w.skipped) c.skips++;
    if (w.liked) c.likes++;
    if (w.rewatched) c.rewatches++;
    let byCat = this.cohorts.get(w.cohort);
    if (byCat === undefined) this.cohorts.set(w.cohort, (byCat = new Map()));
    let cc = byCat.get(w.category);
    if (cc === undefined) byCat.set(w.category, (cc = { watches: 0, watchRatioSum: 0, completions: 0, skips: 0 }));
    cc.watches++;
    cc.watchRatioSum += w.watchRatio;
    if (w.completed) cc.completions++;
    if (w.skipped) cc.skips++;
    if (w.weight > 0) this.readModels.trending.record(w.cohort, w.videoId, w.weight, nowMs);
    const q = this.qualitySums.get(w.videoId) ?? [0, 0];
    q[0] += Math.min(1, w.watchRatio);
    q[1]++;
    this.qualitySums.set(w.videoId, q);
    this.globalSum += Math.min(1, w.watchRatio);
    this.globalViews++;
  }

  private counters(videoId: number): VideoCounters {
    let c = this.videos.get(videoId);
    if (c === undefined) {
      c = { stage: this.readModels.stageOf.get(videoId) ?? -1, impressions: 0, watches: 0, watchRatioSum: 0, watchMs: 0, completions: 0, skips: 0, likes: 0, rewatches: 0 };
      this.videos.set(videoId, c);
    }
    return c;
  }

  /** Sends every pending sum to its actor and starts a new window. */
  flush(): void {
    this.flushes++;
    const sys = this.system;
    // Empirical Bayes: estimates shrink toward the catalog-wide mean with 5 pseudo-views, and a video with
    // no data is assumed average. An optimistic constant prior (0.5 while the mean is ~0.35) made untried
    // videos outrank proven ones, a hidden exploration policy inside "pure exploitation".
    const prior = this.globalViews >= PRIOR_MIN_VIEWS ? this.globalSum / this.globalViews : 0.5;
    this.catalog.setPrior(prior);
    const tellVideo = (id: number, c: VideoCounters): void => {
      const m: VideoEngagement = {
        type: "video.engagement", stage: c.stage, watches: c.watches, watchRatioSum: c.watchRatioSum, impressions: c.impressions, watchMs: c.watchMs,
        completions: c.completions, skips: c.skips, likes: c.likes, rewatches: c.rewatches,
      };
      sys.tell(actorId("video", "v" + id), m);
    };
    const videos = this.videos, cohorts = this.cohorts, engagements = this.engagements;
    const exposedIds = this.exposureIds, exposedCounts: number[] = [];
    const ec = this.exposureCounts;
    for (let i = 0; i < exposedIds.length; i++) {
      exposedCounts.push(ec[exposedIds[i]!]!);
      ec[exposedIds[i]!] = 0;
    }
    this.exposureIds = [];
    const categoryCounts = this.categoryCounts, ildSum = this.ildSum, feeds = this.feeds;
    const quality = (id: number): void => {
      const q = this.qualitySums.get(id);
      if (q !== undefined) this.catalog.setQuality(id, (q[0] + PRIOR_VIEWS * prior) / (q[1] + PRIOR_VIEWS));
    };
    const tellCohorts = (): void => {
      for (const [cohort, byCat] of cohorts) {
        for (const [category, s] of byCat) {
          const m: CohortSummary = { type: "cohort.summary", category, watches: s.watches, watchRatioSum: s.watchRatioSum, completions: s.completions, skips: s.skips };
          sys.tell(actorId("cohort", cohort), m);
        }
      }
    };
    const tellHomogenization = (): void => {
      if (feeds === 0) return;
      const ids = exposedIds, counts = exposedCounts;
      const m: HomogenizationSummary = {
        type: "homog.summary", node: this.o.nodeId, exposures: counts.reduce((a, b) => a + b, 0), distinctVideos: ids.length,
        categoryCounts, videoIds: ids, videoCounts: counts, ildSum, feeds,
      };
      sys.tell("coord/homogenization", m);
    };
    const tellIntegrity = (): void => {
      if (engagements.videos.length > 0) sys.tell("coord/integrity", { type: "integrity.engagements", node: this.o.nodeId, ...engagements });
    };
    if (sys.clock.kind === "wall" && videos.size > WALL_FLUSH_CHUNK) {
      const it = videos.entries();
      const chunk = (): void => {
        for (let k = 0; k < WALL_FLUSH_CHUNK; k++) {
          const e = it.next();
          if (e.done === true) return;
          tellVideo(e.value[0], e.value[1]);
          quality(e.value[0]);
        }
      };
      const steps: (() => void)[] = [tellHomogenization, tellCohorts, tellIntegrity];
      for (let k = 0; k < videos.size; k += WALL_FLUSH_CHUNK) steps.push(chunk);
      const gapMs = Math.min(WALL_STEP_GAP_MS, Math.floor((this.o.flushMs * WALL_FLUSH_SPREAD) / steps.length));
      this.inTurns(steps, gapMs);
    } else {
      for (const [id, c] of videos) {
        tellVideo(id, c);
        quality(id);
      }
      tellCohorts();
      tellHomogenization();
      tellIntegrity();
    }
    if (engagements.videos.length > 0) this.engagements = { sessions: [], videos: [], times: [] };
    this.videos = new Map();
    this.cohorts = new Map();
    this.categoryCounts = new Array<number>(this.catalog.numCategories).fill(0);
    this.ildSum = 0;
    this.feeds = 0;
  }
}
