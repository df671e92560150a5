import { filterBubbleIndex, sparseGini } from "../models/index.ts";

/** Sees every counted viewer event with its user and time (the research recorder); optional. */
export interface SimMetricsListener {
  item(user: number, videoId: number, category: number, watchMs: number, watchRatio: number, skipped: boolean, liked: boolean, rewatched: boolean, at: number): void;
  feed(user: number, videoIds: readonly string[], at: number): void;
  session(user: number, items: number, watchMs: number, at: number): void;
}

/** Per-run counters of the simulated viewers, and the inputs of the research metrics. */
export class SimMetrics {
  listener: SimMetricsListener | undefined;
  items = 0;
  watchMs = 0;
  completions = 0;
  skips = 0;
  likes = 0;
  rewatches = 0;
  sessions = 0;
  sessionItemsSum = 0;
  sessionWatchMsSum = 0;
  feeds = 0;
  feedErrors = 0;
  usersDone = 0;
  /** Sessions started and not ended yet (a viewer between two sessions is not in one), and their peak. */
  liveSessions = 0;
  peakLiveSessions = 0;
  /** Impressions per video id (normal viewers only). */
  readonly exposures = new Map<number, number>();
  /** Category counts shown to a sample of users (filter bubble). */
  readonly shown = new Map<number, Float64Array>();
  /** Times at which normal viewers were shown a farm target video. */
  readonly farmImpressionTimes: number[] = [];
  /** Impressions of normal viewers per virtual minute (the denominator of exposure shares over time). */
  readonly impressionsPerMinute: number[] = [];

  constructor(private readonly categories: number, private readonly sampleEvery: number, private readonly farmTargets: ReadonlySet<number>) {}

  recordItem(user: number, videoId: number, category: number, watchMs: number, watchRatio: number, skipped: boolean, liked: boolean, rewatched: boolean, at: number): void {
    this.items++;
    this.watchMs += watchMs;
    if (watchRatio >= 1) this.completions++;
    if (skipped) this.skips++;
    if (liked) this.likes++;
    if (rewatched) this.rewatches++;
    this.exposures.set(videoId, (this.exposures.get(videoId) ?? 0) + 1);
    const minute = Math.floor(at / 60_000);
    this.impressionsPerMinute[minute] = (this.impressionsPerMinute[minute] ?? 0) + 1;
    if (this.farmTargets.has(videoId)) this.farmImpressionTimes.push(at);
    this.listener?.item(user, videoId, category, watchMs, watchRatio, skipped, liked, rewatched, at);
    if (user % this.sampleEvery === 0) {
      let s = this.shown.get(user);
      if (s === undefined) this.shown.set(user, (s = new Float64Array(this.categories)));
      s[category]! += 1;
    }
  }

  /** Impressions of normal viewers in [fromMs, toMs), at minute resolution. */
  impressionsBetween(fromMs: number, toMs: number): number {
    let n = 0;
    for (let m = Math.floor(fromMs / 60_000); m < Math.ceil(toMs / 60_000); m++) n += this.impressionsPerMinute[m] ?? 0;
    return n;
  }

  /** A served feed (only the listener needs it; `feeds` is counted by the viewer). */
  recordFeed(user: number, videoIds: readonly string[], at: number): void {
    this.listener?.feed(user, videoIds, at);
  }

  sessionStarted(): void {
    if (++this.liveSessions > this.peakLiveSessions) this.peakLiveSessions = this.liveSessions;
  }

  sessionEnded(items: number, watchMs: number, user = -1, at = 0): void {
    this.liveSessions--;
    this.listener?.session(user, items, watchMs, at);
    this.sessions++;
    this.sessionItemsSum += items;
    this.sessionWatchMsSum += watchMs;
  }

  /** Exposure Gini and coverage over the whole catalog (unexposed videos count as zeros). */
  exposureMetrics(catalogSize: number): { gini: number; coverage: number } {
    const counts: number[] = [];
    for (const [id, n] of this.exposures) if (id < catalogSize && n > 0) counts.push(n);
    return { gini: sparseGini(counts, catalogSize), coverage: catalogSize > 0 ? counts.length / catalogSize : 0 };
  }

  /** Mean divergence between sampled users' true taste and the categories they were shown. */
  filterBubble(trueTaste: (user: number) => ArrayLike<number>): number {
    const { sum, n } = this.filterBubbleSum(trueTaste);
    return n === 0 ? 0 : sum / n;
  }

  /** The filter-bubble mean's sum and count (the parts of a parallel run add up). */
  filterBubbleSum(trueTaste: (user: number) => ArrayLike<number>): { sum: number; n: number } {
    let sum = 0;
    let n = 0;
    for (const [user, counts] of this.shown) {
      if (counts.reduce((a, b) => a + b, 0) === 0) continue;
      sum += filterBubbleIndex(trueTaste(user), counts);
      n++;
    }
    return { sum, n };
  }

  /** The counts as plain data (a worker thread's part of a parallel run, for `absorb`). */
  toPart(): SimMetricsPart {
    const { items, watchMs, completions, skips, likes, rewatches, sessions, sessionItemsSum, sessionWatchMsSum, feeds, feedErrors, usersDone } = this;
    return {
      counters: { items, watchMs, completions, skips, likes, rewatches, sessions, sessionItemsSum, sessionWatchMsSum, feeds, feedErrors, usersDone },
      exposures: [...this.exposures],
      farmImpressionTimes: this.farmImpressionTimes,
      impressionsPerMinute: Array.from(this.impressionsPerMinute, (x) => x ?? 0),
    };
  }

  /**
   * Adds another part's counts to these (parallel runs: the parts host disjoint viewers). Not the sampled
   * category counts (the filter-bubble index comes as a sum and count) nor the live-session peak.
   */
  absorb(p: SimMetricsPart): void {
    for (const k of Object.keys(p.counters) as (keyof SimMetricsPart["counters"])[]) this[k] += p.counters[k];
    for (const [id, n] of p.exposures) this.exposures.set(id, (this.exposures.get(id) ?? 0) + n);
    for (const t of p.farmImpressionTimes) this.farmImpressionTimes.push(t);
    p.impressionsPerMinute.forEach((n, m) => void (this.impressionsPerMinute[m] = (this.impressionsPerMinute[m] ?? 0) + n));
  }
}

/** `SimMetrics.toPart`: what a parallel run's part sends back to be added up. */
export interface SimMetricsPart {
  counters: Record<"items" | "watchMs" | "completions" | "skips" | "likes" | "rewatches" | "sessions" | "sessionItemsSum" | "sessionWatchMsSum" | "feeds" | "feedErrors" | "usersDone", number>;
  exposures: [number, number][];
  farmImpressionTimes: number[];
  impressionsPerMinute: number[];
}
