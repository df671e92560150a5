import { RETIRED, cohortOf, videoNumber, type FeedServices, type VirtualClock } from "../../actors/index.ts";
import type { Config } from "../../configs/index.ts";
import { filterBubbleIndex, type SyntheticWorld } from "../../models/index.ts";
import type { SimulationObserver } from "../simulate.ts";
import { WindowStats, feedIld, r, type WindowMetrics } from "./window-stats.ts";

interface Tracked {
  /** Decayed counts of the categories shown recently. */
  mix: Float64Array;
  taste: ArrayLike<number>;
  items: number;
  cohort: number;
  /** Ring of the last RECENT video ids (-1 = empty). */
  recent: Int32Array;
  /** The filter-bubble index of `mix`, NaN when an item came in since it was computed. */
  index: number;
}

const RECENT = 30;
const JACCARD_USERS = 200;

/** The research settings (config `research`). */
export type ResearchSettings = Readonly<Config["research"]>;

/** One time-series row: a window of virtual time, for everyone ("all") or one cohort. */
export interface TimeRow extends WindowMetrics {
  /** Window end (virtual ms). */
  t: number;
  cohort: string;
  /** Mean filter-bubble index of the tracked users (of this cohort) at the window's end. */
  filterBubble: number;
  /** Mean pairwise Jaccard similarity of tracked users' recent items (Chaney et al.'s homogenization). */
  homogeneity: number;
  trackedUsers: number;
}

/** The system side of a window (global only): the stabilizer, the viral ladder and integrity. */
export interface SystemRow {
  t: number;
  noveltyRate: number;
  maxCategoryRun: number;
  categoryShareCap: number;
  uploads: number;
  /** Videos that reached each ladder stage in the window (index = stage; the last = graduated). */
  reached: number[];
  retired: number;
  onLadder: number;
  integritySignals: number;
  /** Cumulative flags in the node's read models at the window's end. */
  flaggedSessions: number;
  flaggedVideos: number;
  /** Impressions of farm-target videos to normal viewers in the window. */
  farmImpressions: number;
}

/** A fixed number of impressions (`research.phaseItems`): windows of equal volume, comparable across arms. */
export interface PhaseRow extends WindowMetrics {
  phase: number;
  /** Virtual time the phase ended. */
  t: number;
  filterBubble: number;
  homogeneity: number;
}

/** One uploaded video's cascade on the viral ladder. */
export interface CascadeRow {
  videoId: string;
  category: number;
  uploadedAt: number;
  /** Virtual time each stage was reached (index = stage; stage 0 = upload). */
  reachedAt: number[];
  retiredAt: number | null;
}

export interface ResearchData {
  series: TimeRow[];
  system: SystemRow[];
  phases: PhaseRow[];
  cascades: CascadeRow[];
  /** Whole-run metrics (all impressions), next to the simulation summary. */
  overall: WindowMetrics & { filterBubble: number; homogeneity: number };
  /** Per stage: videos that reached it, and mean/median virtual minutes from upload. */
  ladder: { stage: number; videos: number; meanMin: number | null; medianMin: number | null }[];
  cohorts: string[];
  sampleEveryMs: number;
  phaseItems: number;
}

/** The read-model figures a window's system row records (a node's replica at the window's end). */
export interface SystemView {
  catalogSize: number;
  noveltyRate: number;
  maxCategoryRun: number;
  maxCategoryShare: number;
  onLadder: number;
  flaggedSessions: number;
  flaggedVideos: number;
}

/** What the recorder reads of the run it watches: a node's figures, and the viewers' true tastes. */
export interface RecorderEnv {
  cohorts: number;
  categories: number;
  /** The run's `simulate` settings it needs (tracked users, the farm's targets). */
  sessions: number;
  farm: { bots: number; videos: number };
  system(): SystemView;
  taste(user: number): ArrayLike<number>;
}

/** The figures of a node's read models and catalog now. */
export function systemView(feed: FeedServices): SystemView {
  const rm = feed.readModels;
  return {
    catalogSize: feed.catalog.size, noveltyRate: rm.noveltyRate, maxCategoryRun: rm.maxCategoryRun, maxCategoryShare: rm.maxCategoryShare,
    onLadder: rm.stageOf.size, flaggedSessions: rm.flaggedSessions.size, flaggedVideos: rm.flaggedVideos.size,
  };
}

/**
 * The filter-bubble sample: every `trackEvery(...)`-th viewer (user % it === 0) is tracked, about
 * `filterBubbleUsers` of `sessions`. One rule for the recorder and for a parallel run's taps, which send
 * those viewers' true tastes.
 */
export function trackEvery(sessions: number, filterBubbleUsers: number): number {
  return Math.max(1, Math.ceil(sessions / filterBubbleUsers));
}

/**
 * Collects the research metrics of one `runSimulation` as an observer: every watched item, served feed and
 * ended session with its user and virtual time, and the traced ladder/integrity messages. Windows close when
 * the first event past their end arrives (virtual time only moves forward), so nothing is scheduled and the
 * run - its checksum included - is the same with or without the recorder.
 */
export class ResearchRecorder implements SimulationObserver {
  private feedSvc: FeedServices | undefined;
  private env: RecorderEnv | undefined;
  private cohortCount = 1;
  private categories = 1;
  private cohortCache = new Map<number, number>();
  private windowEnd: number;
  private win: WindowStats[] = [];
  private all!: WindowStats;
  private phase!: WindowStats;
  private phaseIndex = 0;
  private sys: ReturnType<ResearchRecorder["emptySys"]>;
  private farmTargets = new Set<number>();
  private trackEvery = 1;
  private tracked = new Map<number, Tracked>();
  private decay = 1;
  private readonly cascades = new Map<string, CascadeRow>();
  private readonly stages: number;
  readonly series: TimeRow[] = [];
  readonly system: SystemRow[] = [];
  readonly phases: PhaseRow[] = [];
  private finished: ResearchData | undefined;

  constructor(private readonly o: ResearchSettings & { stages: number }) {
    this.windowEnd = o.sampleEveryMs;
    this.stages = o.stages;
    this.sys = this.emptySys();
  }

  attach(env: { clock: VirtualClock; feed: FeedServices; world: SyntheticWorld; config: Readonly<Config> }): void {
    const { feed, world, config } = env;
    this.feedSvc = feed;
    this.attachEnv({
      cohorts: feed.cohorts, categories: feed.catalog.numCategories, sessions: config.simulate.sessions, farm: config.simulate.farm,
      system: () => systemView(feed), taste: (user) => world.user(user).affinity,
    });
  }

  /** Attaches to a run seen through `env` only (a parallel run's nodes, merged in virtual-time order). */
  attachEnv(env: RecorderEnv): void {
    this.env = env;
    this.cohortCount = env.cohorts;
    this.categories = env.categories;
    this.trackEvery = trackEvery(env.sessions, this.o.filterBubbleUsers);
    this.decay = Math.pow(0.5, 1 / this.o.filterBubbleHalfLifeItems);
    // the farm's targets, as runSimulation picks them: the tail of the initial catalog
    const size = env.system().catalogSize;
    if (env.farm.bots > 0) for (let i = 0; i < Math.min(env.farm.videos, size); i++) this.farmTargets.add(size - 1 - i);
    this.win = Array.from({ length: this.cohortCount }, () => new WindowStats(this.categories));
    this.all = new WindowStats(this.categories);
    this.phase = new WindowStats(this.categories);
    this.overallStats = new WindowStats(this.categories);
  }

  item(user: number, videoId: number, category: number, watchMs: number, watchRatio: number, skipped: boolean, liked: boolean, rewatched: boolean, at: number): void {
    this.advance(at);
    const c = this.cohort(user);
    this.win[c]!.item(user, videoId, category, watchMs, watchRatio, skipped, liked, rewatched);
    this.all.item(user, videoId, category, watchMs, watchRatio, skipped, liked, rewatched);
    this.phase.item(user, videoId, category, watchMs, watchRatio, skipped, liked, rewatched);
    this.overallStats.item(user, videoId, category, watchMs, watchRatio, skipped, liked, rewatched);
    if (this.farmTargets.has(videoId)) this.sys.farmImpressions++;
    if (user % this.trackEvery === 0) {
      this.trackedCache = undefined;
      let t = this.tracked.get(user);
      if (t === undefined) {
        t = { mix: new Float64Array(this.categories), taste: this.env!.taste(user), items: 0, cohort: c, recent: new Int32Array(RECENT).fill(-1), index: NaN };
        this.tracked.set(user, t);
      }
      t.index = NaN;
      t.recent[t.items % RECENT] = videoId;
      const mix = t.mix;
      for (let k = 0; k < mix.length; k++) mix[k]! *= this.decay;
      if (category >= 0 && category < mix.length) mix[category]! += 1;
      t.items++;
    }
    if (this.phase.items >= this.o.phaseItems) this.closePhase(at);
  }

  private overallStats = new WindowStats(1);

  feed(user: number, videoIds: readonly string[], at: number): void {
    this.feedIld(user, servedIld(this.feedSvc!, videoIds), at);
  }

  /** A served feed by its intra-list diversity (what `feed` computes from the catalog's vectors). */
  feedIld(user: number, ild: number, at: number): void {
    this.advance(at);
    this.win[this.cohort(user)]!.feed(ild);
    this.all.feed(ild);
    this.phase.feed(ild);
    this.overallStats.feed(ild);
  }

  session(user: number, items: number, watchMs: number, at: number): void {
    if (user < 0) return;
    this.advance(at);
    this.win[this.cohort(user)]!.session(items, watchMs);
    this.all.session(items, watchMs);
    this.phase.session(items, watchMs);
    this.overallStats.session(items, watchMs);
  }

  trace(at: number, id: string, msg: { type: string }): void {
    switch (msg.type) {
      case "viral.new-video": {
        this.advance(at);
        const m = msg as { type: string; videoId: string; category: number };
        if (!this.cascades.has(m.videoId)) {
          this.cascades.set(m.videoId, { videoId: m.videoId, category: m.category, uploadedAt: at, reachedAt: [at], retiredAt: null });
          this.sys.uploads++;
          this.sys.reached[0]!++;
        }
        return;
      }
      case "video.set-stage": {
        const stage = (msg as { type: string; stage: number }).stage;
        const c = this.cascades.get(id.slice(id.indexOf("/") + 1));
        if (c === undefined) return;
        this.advance(at);
        if (stage === RETIRED) {
          if (c.retiredAt === null) {
            c.retiredAt = at;
            this.sys.retired++;
          }
        } else if (stage > 0 && c.reachedAt[stage] === undefined) {
          c.reachedAt[stage] = at;
          if (stage < this.sys.reached.length) this.sys.reached[stage]!++;
        }
        return;
      }
      case "integrity.signal":
        this.advance(at);
        this.sys.integritySignals++;
        return;
      default:
        return;
    }
  }

  finish(atMs: number): void {
    this.advance(atMs);
    this.closeWindow(Math.max(atMs, this.windowEnd - this.o.sampleEveryMs + 1));
    if (this.phase.items >= Math.ceil(this.o.phaseItems / 2)) this.closePhase(atMs);
    this.finished = this.build();
  }

  /** The collected data (after `finish`). */
  data(): ResearchData {
    if (this.finished === undefined) throw new Error("ResearchRecorder.data(): the run has not finished");
    return this.finished;
  }

  private build(): ResearchData {
    const catalogSize = this.env?.system().catalogSize ?? 0;
    const fb = this.filterBubble(-1);
    const overall = { ...this.overallStats.metrics(catalogSize), filterBubble: fb.value, homogeneity: fb.homogeneity };
    const ladder = Array.from({ length: this.stages + 1 }, (_, stage) => {
      const times = [...this.cascades.values()].map((c) => c.reachedAt[stage]).filter((x): x is number => x !== undefined);
      const mins = [...this.cascades.values()]
        .filter((c) => c.reachedAt[stage] !== undefined)
        .map((c) => (c.reachedAt[stage]! - c.uploadedAt) / 60_000)
        .sort((a, b) => a - b);
      return {
        stage,
        videos: times.length,
        meanMin: mins.length === 0 ? null : r(mins.reduce((a, b) => a + b, 0) / mins.length, 2),
        medianMin: mins.length === 0 ? null : r(mins[Math.floor(mins.length / 2)]!, 2),
      };
    });
    return {
      series: this.series,
      system: this.system,
      phases: this.phases,
      cascades: [...this.cascades.values()],
      overall,
      ladder,
      cohorts: ["all", ...(this.o.perCohort ? Array.from({ length: this.cohortCount }, (_, c) => "c" + c) : [])],
      sampleEveryMs: this.o.sampleEveryMs,
      phaseItems: this.o.phaseItems,
    };
  }

  private cohort(user: number): number {
    let c = this.cohortCache.get(user);
    if (c === undefined) {
      c = Number(cohortOf("u" + user, this.cohortCount).slice(1));
      // the cache is a speed-up only; big runs keep it bounded
      if (this.cohortCache.size < 2_000_000) this.cohortCache.set(user, c);
    }
    return c;
  }

  /** Closes every time window that ends at or before `at`. */
  private advance(at: number): void {
    while (at >= this.windowEnd) {
      this.closeWindow(this.windowEnd);
      this.windowEnd += this.o.sampleEveryMs;
    }
  }

  private closeWindow(t: number): void {
    if (this.env === undefined) return;
    const view = this.env.system();
    const size = view.catalogSize;
    const fbAll = this.filterBubble(-1);
    this.series.push({ t, cohort: "all", ...this.all.metrics(size), filterBubble: fbAll.value, homogeneity: fbAll.homogeneity, trackedUsers: fbAll.users });
    if (this.o.perCohort) {
      for (let c = 0; c < this.win.length; c++) {
        const fb = this.filterBubble(c);
        this.series.push({ t, cohort: "c" + c, ...this.win[c]!.metrics(size), filterBubble: fb.value, homogeneity: fb.homogeneity, trackedUsers: fb.users });
      }
    }
    this.system.push({
      ...this.sys,
      t,
      noveltyRate: r(view.noveltyRate),
      maxCategoryRun: view.maxCategoryRun,
      categoryShareCap: r(view.maxCategoryShare),
      onLadder: view.onLadder,
      flaggedSessions: view.flaggedSessions,
      flaggedVideos: view.flaggedVideos,
    });
    this.sys = this.emptySys();
    this.all = new WindowStats(this.categories);
    this.win = this.win.map(() => new WindowStats(this.categories));
  }

  private closePhase(at: number): void {
    const size = this.env?.system().catalogSize ?? 0;
    const fb = this.filterBubble(-1);
    this.phases.push({ phase: this.phaseIndex++, t: at, ...this.phase.metrics(size), filterBubble: fb.value, homogeneity: fb.homogeneity });
    this.phase = new WindowStats(this.categories);
  }

  /**
   * Mean JS divergence between tracked users' true taste and their recent shown-category mix, and the mean
   * pairwise Jaccard similarity of their last RECENT items (over at most JACCARD_USERS of them). A window's
   * close asks for every cohort in turn with nothing changed in between: the users' figures are computed
   * once (`trackedNow`) and summed per cohort in the same order, so the sums are the same doubles.
   */
  private filterBubble(cohort: number): { value: number; homogeneity: number; users: number } {
    const now = (this.trackedCache ??= this.trackedNow());
    let sum = 0;
    let n = 0;
    const members: number[] = [];
    for (let i = 0; i < now.count; i++) {
      if (cohort >= 0 && now.cohort[i] !== cohort) continue;
      sum += now.value[i]!;
      n++;
      if (members.length < JACCARD_USERS) members.push(i);
    }
    const homogeneity = meanJaccard(members.map((i) => (now.recent[i] ??= distinctRecent(now.users[i]!.recent))));
    return { value: n === 0 ? 0 : r(sum / n), homogeneity: r(homogeneity), users: n };
  }

  /**
   * The tracked users with enough items, in tracking order: cohort, filter-bubble index, and (filled in when
   * a homogeneity sample first takes the user) their distinct recent items.
   */
  private trackedNow(): { count: number; users: Tracked[]; cohort: Int32Array; value: Float64Array; recent: (Int32Array | undefined)[] } {
    const users: Tracked[] = [], value: number[] = [];
    for (const t of this.tracked.values()) {
      if (t.items < this.o.filterBubbleMinItems) continue;
      users.push(t);
      if (Number.isNaN(t.index)) t.index = filterBubbleIndex(t.taste, t.mix);
      value.push(t.index);
    }
    return { count: users.length, users, cohort: Int32Array.from(users, (t) => t.cohort), value: Float64Array.from(value), recent: new Array(users.length) };
  }

  /** Set when a tracked user's figures changed since `trackedNow` (an item of a tracked user). */
  private trackedCache: ReturnType<ResearchRecorder["trackedNow"]> | undefined;

  private emptySys(): Omit<SystemRow, "t" | "noveltyRate" | "maxCategoryRun" | "categoryShareCap" | "onLadder" | "flaggedSessions" | "flaggedVideos"> {
    return { uploads: 0, reached: new Array<number>(this.stages + 1).fill(0), retired: 0, integritySignals: 0, farmImpressions: 0 };
  }
}

/** The intra-list diversity of a served feed, from the catalog's content vectors. */
export function servedIld(feed: FeedServices, videoIds: readonly string[]): number {
  const vectors: Float32Array[] = [];
  for (const id of videoIds) {
    const v = feed.catalog.get(videoNumber(id));
    if (v !== undefined) vectors.push(v.vector);
  }
  return feedIld(vectors);
}

/**
 * The mean Jaccard similarity over every pair (a < b) of the given sets of distinct ids, 0 without a pair.
 * Pairs' intersections are counted through the ids they share (a set of users per id) instead of probing
 * every pair's sets; the pairs are then summed in the order a nested loop over them takes, so the mean is
 * the same double.
 */
export function meanJaccard(sets: readonly ArrayLike<number>[]): number {
  const k = sets.length;
  if (k < 2) return 0;
  const holders = new Map<number, number[]>();
  for (let a = 0; a < k; a++) {
    const set = sets[a]!;
    for (let x = 0; x < set.length; x++) {
      const id = set[x]!;
      const h = holders.get(id);
      if (h === undefined) holders.set(id, [a]);
      else h.push(a);
    }
  }
  if (sharedScratch.length < k * k) sharedScratch = new Int32Array(k * k);
  const shared = sharedScratch;
  shared.fill(0, 0, k * k);
  for (const h of holders.values()) {
    for (let i = 0; i < h.length; i++) for (let j = i + 1; j < h.length; j++) shared[h[i]! * k + h[j]!]!++;
  }
  let jac = 0;
  let pairs = 0;
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const inter = shared[a * k + b]!;
      const union = sets[a]!.length + sets[b]!.length - inter;
      jac += union > 0 ? inter / union : 0;
      pairs++;
    }
  }
  return jac / pairs;
}

let sharedScratch = new Int32Array(0);

/** The distinct ids of a recent-items ring (-1 = empty), ascending. */
function distinctRecent(ring: Int32Array): Int32Array {
  const sorted = ring.slice().sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) if (sorted[i]! >= 0 && (n === 0 || sorted[i] !== sorted[n - 1])) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}
