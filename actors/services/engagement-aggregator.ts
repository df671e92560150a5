import type { Logger } from "pino";
import { actorId, type CohortSummary, type HomogenizationSummary, type VideoEngagement } from "../../protocols/index.ts";
import type { FeedCatalog } from "../../models/index.ts";
import type { ActorSystem } from "../actor-system.ts";
import type { TimerHandle } from "../clock.ts";
import type { ReadModels } from "./read-models.ts";

/**
 * One flush window's per-video counters in typed arrays, a slot per video in first-touch order (what
 * iterating an id -> counters Map gave): no object per video living the whole window. On a serving node
 * ~60k of those objects lived 10 s, so they reached the old generation and every window fed major GC.
 */
class VideoWindow {
  n = 0;
  ids: Int32Array = new Int32Array(1024);
  stage: Int32Array = new Int32Array(1024);
  /** Counts in Int32Arrays (a window's counts are far below 2^31): read back they are small integers, as the video actors keep them. */
  impressions: Int32Array = new Int32Array(1024);
  watches: Int32Array = new Int32Array(1024);
  watchRatioSum: Float64Array = new Float64Array(1024);
  watchMs: Float64Array = new Float64Array(1024);
  completions: Int32Array = new Int32Array(1024);
  skips: Int32Array = new Int32Array(1024);
  likes: Int32Array = new Int32Array(1024);
  rewatches: Int32Array = new Int32Array(1024);

  /** A new slot for `id` (counters zero). */
  add(id: number, stage: number): number {
    if (this.n === this.ids.length) this.grow();
    const k = this.n++;
    this.ids[k] = id;
    this.stage[k] = stage;
    return k;
  }

  /** Zeroes the first `n` slots' counters and empties the window. */
  clear(): void {
    const n = this.n;
    for (const a of [this.impressions, this.watches, this.watchRatioSum, this.watchMs, this.completions, this.skips, this.likes, this.rewatches]) a.fill(0, 0, n);
    this.n = 0;
  }

  private grow(): void {
    const cap = this.ids.length * 2;
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.ids = i32(this.ids);
    this.stage = i32(this.stage);
    this.impressions = i32(this.impressions);
    this.watches = i32(this.watches);
    this.watchRatioSum = f64(this.watchRatioSum);
    this.watchMs = f64(this.watchMs);
    this.completions = i32(this.completions);
    this.skips = i32(this.skips);
    this.likes = i32(this.likes);
    this.rewatches = i32(this.rewatches);
  }
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
/** Window slots a wall-clock flush's step reads into the homogenization summary (see flush). */
const WALL_EXPOSURE_CHUNK = 8192;
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
  /** This window's video counters, and the previous window's while a wall-clock flush is still sending it. */
  private videos = new VideoWindow();
  private sending = new VideoWindow();
  /** Per video number: its slot in `videos`, -1 when it has none this window. */
  private slotOf = new Int32Array(1024).fill(-1);
  private cohorts = new Map<string, Map<number, CohortCategory>>();
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
   * `gapMs` apart, with I/O between: the homogenization summary (read from the window in steps, then told;
   * the coordinator merges it in slices of its own turns), the cohort summaries and the integrity batch, then
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
    const v = this.videos;
    for (const it of items) {
      // the slot first: making it may grow the window's arrays, and the count must go to the grown one
      const k = this.slot(it.videoId);
      v.impressions[k]!++;
      this.categoryCounts[it.category] = (this.categoryCounts[it.category] ?? 0) + 1;
      this.readModels.recordPoolImpression(it.videoId);
      this.readModels.recordExposure(it.videoId, now);
    }
    this.ildSum += ild;
    this.feeds++;
  }

  /** A like or rewatch of a video already counted as watched. */
  recordReaction(videoId: number, kind: "like" | "rewatch"): void {
    const k = this.slot(videoId);
    if (kind === "like") this.videos.likes[k]!++;
    else this.videos.rewatches[k]!++;
  }

  recordWatch(w: WatchRecord, nowMs: number): void {
    if (w.completed) {
      this.engagements.sessions.push(w.session);
      this.engagements.videos.push(w.videoId);
      this.engagements.times.push(w.at);
    }
    const k = this.slot(w.videoId);
    const v = this.videos;
    v.watches[k]!++;
    v.watchRatioSum[k]! += w.watchRatio;
    v.watchMs[k]! += w.watchMs;
    if (w.completed) v.completions[k]!++;
    if (w.skipped) v.skips[k]!++;
    if (w.liked) v.likes[k]!++;
    if (w.rewatched) v.rewatches[k]!++;
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

  /**
   * The video's slot in this window (made at its first event, with its ladder stage then). `slotOf` may
   * still hold a slot of an earlier window: it counts only when this window's slot there is this video's,
   * so a flush leaves `slotOf` as it is (no pass over ~60k entries in the flush's turn).
   */
  private slot(videoId: number): number {
    if (!Number.isInteger(videoId) || videoId < 0) throw new RangeError(`video id must be a catalog video number, got ${videoId}`);
    let so = this.slotOf;
    if (videoId >= so.length) {
      const grown = new Int32Array(Math.max(videoId + 1, so.length * 2)).fill(-1);
      grown.set(so);
      this.slotOf = so = grown;
    }
    const v = this.videos;
    let k = so[videoId]!;
    if (k < 0 || k >= v.n || v.ids[k] !== videoId) so[videoId] = k = v.add(videoId, this.readModels.stageOf.get(videoId) ?? -1);
    return k;
  }

  /** Sends every pending sum to its actor and starts a new window. */
  flush(): void {
    this.drainTurns?.(); // the previous window still going out (a very short flushMs) goes first
    this.flushes++;
    const sys = this.system;
    // Empirical Bayes: estimates shrink toward the catalog-wide mean with 5 pseudo-views, and a video with
    // no data is assumed average. An optimistic constant prior (0.5 while the mean is ~0.35) made untried
    // videos outrank proven ones, a hidden exploration policy inside "pure exploitation".
    const prior = this.globalViews >= PRIOR_MIN_VIEWS ? this.globalSum / this.globalViews : 0.5;
    this.catalog.setPrior(prior);
    // this window's videos go out from `sending`; the next window counts into the emptied other one
    const videos = this.videos;
    this.videos = this.sending;
    this.sending = videos;
    const tellVideo = (k: number): void => {
      const v = videos;
      const m: VideoEngagement = {
        type: "video.engagement", stage: v.stage[k]!, watches: v.watches[k]!, watchRatioSum: v.watchRatioSum[k]!, impressions: v.impressions[k]!, watchMs: v.watchMs[k]!,
        completions: v.completions[k]!, skips: v.skips[k]!, likes: v.likes[k]!, rewatches: v.rewatches[k]!,
      };
      sys.tell(actorId("video", "v" + v.ids[k]!), m);
    };
    const cohorts = this.cohorts, engagements = this.engagements;
    // the exposure summary is the window's impressions per video (the monitor's merge does not depend on the
    // order), read from `videos` before its last step clears it: slots [0, end) after exposureUpTo(end)
    const exposedIds: number[] = [], exposedCounts: number[] = [];
    let exposedUpTo = 0;
    const exposureUpTo = (end: number): void => {
      for (let k = exposedUpTo; k < end; k++) {
        if (videos.impressions[k]! === 0) continue;
        exposedIds.push(videos.ids[k]!);
        exposedCounts.push(videos.impressions[k]!);
      }
      exposedUpTo = end;
    };
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
    const n = videos.n;
    if (sys.clock.kind === "wall" && n > WALL_FLUSH_CHUNK) {
      let next = 0;
      const chunk = (): void => {
        const end = Math.min(n, next + WALL_FLUSH_CHUNK);
        for (; next < end; next++) {
          tellVideo(next);
          quality(videos.ids[next]!);
        }
        if (next === n) videos.clear();
      };
      // the summary is built WALL_EXPOSURE_CHUNK slots per step, its last step tells it: the flush's own turn
      // does no pass over the window's videos (60k of them took 4-24 ms there on a serving node, run cold
      // once per flush), and no step more than a few ms
      const exposureStep = (): void => {
        exposureUpTo(Math.min(n, exposedUpTo + WALL_EXPOSURE_CHUNK));
        if (exposedUpTo === n) tellHomogenization();
      };
      const steps: (() => void)[] = [];
      if (feeds === 0) steps.push(tellHomogenization);
      else for (let k = 0; k < n; k += WALL_EXPOSURE_CHUNK) steps.push(exposureStep);
      steps.push(tellCohorts, tellIntegrity);
      for (let k = 0; k < n; k += WALL_FLUSH_CHUNK) steps.push(chunk);
      const gapMs = Math.min(WALL_STEP_GAP_MS, Math.floor((this.o.flushMs * WALL_FLUSH_SPREAD) / steps.length));
      this.inTurns(steps, gapMs);
    } else {
      exposureUpTo(n);
      for (let k = 0; k < n; k++) {
        tellVideo(k);
        quality(videos.ids[k]!);
      }
      videos.clear();
      tellCohorts();
      tellHomogenization();
      tellIntegrity();
    }
    if (engagements.videos.length > 0) this.engagements = { sessions: [], videos: [], times: [] };
    this.cohorts = new Map();
    this.categoryCounts = new Array<number>(this.catalog.numCategories).fill(0);
    this.ildSum = 0;
    this.feeds = 0;
  }
}
