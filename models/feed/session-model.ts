import { TasteDiscovery, type TasteDiscoveryState } from "../exploration/taste-discovery.ts";
import type { FeedVideo } from "./feed-catalog.ts";

/**
 * What a user-session actor keeps about its user (persisted on passivation through the session actor's
 * snapshot/restore, which turn the typed arrays into plain ones and back).
 * Interests at three time scales: `short` (EMA of engaged content vectors, updated in O(d) per event),
 * `long` (slowly decaying per-category affinity), and `recent` (the last engagements, the mid-term
 * sequence). Plus the seen-window, fatigue and per-category discovery counts.
 */
export interface SessionModel {
  short: number[];
  /** Accumulated engagement weight behind `short` (0: no interest known yet). */
  shortWeight: number;
  long: number[];
  /** Last engaged video ids, most recent first. */
  recent: number[];
  /**
   * Ring buffer of the last `seenWindow` served ids. It grows by doubling as items are served (most sessions
   * never fill a 500-item window: a full one from the start cost 4 KB per session); free slots hold -1,
   * which is no video, so `new Set(seen)` is the seen-set. `seenHead` is the next slot to write.
   */
  seen: Int32Array;
  seenHead: number;
  /** Per category: items shown and their engagement sum (fast taste discovery). */
  catShown: number[];
  catEngaged: number[];
  served: number;
  feeds: number;
  watches: number;
  skips: number;
  likes: number;
  watchMs: number;
  lastEventAt: number;
  /** Grows with consecutive skips and session length; decays with good watches. */
  fatigue: number;
  consecutiveSkips: number;
  /**
   * Fast taste discovery: a Beta per category on "did the user engage". Until the first observation it is
   * the prior shared by every session with the same parameters (copied on the first write): ~1 KB less
   * per session that has not watched anything yet. Do not mutate it outside this module.
   */
  discovery: TasteDiscoveryState;
}

export interface SessionModelParams {
  dims: number;
  categories: number;
  seenWindow: number;
  recentMax: number;
  /** EMA step of the short-term interest. */
  shortRate: number;
  /** Per-event decay of long-term affinity (close to 1). */
  longDecay: number;
  /** Pseudo-observations behind the discovery prior (config exploration.discovery.priorStrength). */
  discoveryPrior: number;
}

export function newSessionModel(p: SessionModelParams): SessionModel {
  return model(doubles(p.dims), 0, doubles(p.categories), [], EMPTY_SEEN, 0, doubles(p.categories), doubles(p.categories), 0, 0, 0, 0, 0, 0, -1, 0, 0, sharedPrior(p));
}

/**
 * Every model, fresh or restored, is made here: one object shape, and its arrays of one elements kind
 * (`doubles`, `ids`). A restored model used to be a spread of the decoded object, with the decoder's
 * arrays: the code reading models (applyWatch, the ranker's rows, the long-term distribution) then saw
 * several shapes and kinds, and ran ~5x slower than over fresh models alone (micro-benchmark of applyWatch).
 */
function model(
  short: number[], shortWeight: number, long: number[], recent: number[], seen: Int32Array, seenHead: number, catShown: number[], catEngaged: number[],
  served: number, feeds: number, watches: number, skips: number, likes: number, watchMs: number, lastEventAt: number, fatigue: number, consecutiveSkips: number,
  discovery: TasteDiscoveryState,
): SessionModel {
  return { short, shortWeight, long, recent, seen, seenHead, catShown, catEngaged, served, feeds, watches, skips, likes, watchMs, lastEventAt, fatigue, consecutiveSkips, discovery };
}

/** A new array of doubles: `n` zeros, or a copy of `from` (the same numbers). */
function doubles(n: number, from?: ArrayLike<number>): number[] {
  // 0.5 then the values: the array holds doubles from the start, whatever it is later given
  const a = new Array<number>(n).fill(0.5);
  for (let i = 0; i < n; i++) a[i] = from === undefined ? 0 : from[i]!;
  return a;
}

/** A copy of a list of ids, as `[]` grown by push is (the kind `recent` has in a fresh model). */
function ids(from: ArrayLike<number>): number[] {
  const a: number[] = [];
  for (let i = 0; i < from.length; i++) a.push(from[i]!);
  return a;
}

const EMPTY_SEEN = new Int32Array(0);
const SEEN_MIN = 16;
const priors = new Map<string, TasteDiscoveryState>();
const sharedPriors = new WeakSet<TasteDiscoveryState>();

function sharedPrior(p: SessionModelParams): TasteDiscoveryState {
  const k = p.categories + "/" + p.discoveryPrior;
  let s = priors.get(k);
  if (s === undefined) {
    const st = new TasteDiscovery(p.categories, { priorStrength: p.discoveryPrior }).toState();
    priors.set(k, (s = { a: doubles(st.a.length, st.a), b: doubles(st.b.length, st.b), observed: st.observed }));
    sharedPriors.add(s);
  }
  return s;
}

function isSharedPrior(d: TasteDiscoveryState): boolean {
  return sharedPriors.has(d);
}

/** The model as plain data (passivation, checkpoints): the seen ring as a plain array, in ring order. */
export function sessionModelToPlain(m: SessionModel): Omit<SessionModel, "seen"> & { seen: number[] } {
  // oldest first: the slots from seenHead on are older than those before it (or free, -1)
  const seen: number[] = [];
  for (const id of m.seen.subarray(m.seenHead)) if (id >= 0) seen.push(id);
  for (const id of m.seen.subarray(0, m.seenHead)) if (id >= 0) seen.push(id);
  return { ...m, seen, seenHead: 0 };
}

/** The inverse of sessionModelToPlain (also reads models persisted before the seen ring was typed). */
export function sessionModelFromPlain(x: Omit<SessionModel, "seen"> & { seen: ArrayLike<number> }): SessionModel {
  const n = x.seen.length;
  let cap = SEEN_MIN;
  while (cap < n) cap *= 2;
  const seen = n === 0 ? EMPTY_SEEN : new Int32Array(cap).fill(-1);
  for (let i = 0; i < n; i++) seen[i] = x.seen[i]!;
  // a full window restored into a larger buffer: pushSeen wraps at the window and overwrites the oldest (slot 0)
  const d = x.discovery;
  const discovery: TasteDiscoveryState = { a: doubles(d.a.length, d.a), b: doubles(d.b.length, d.b), observed: d.observed };
  return model(
    doubles(x.short.length, x.short), x.shortWeight, doubles(x.long.length, x.long), ids(x.recent), seen, n, doubles(x.catShown.length, x.catShown),
    doubles(x.catEngaged.length, x.catEngaged), x.served, x.feeds, x.watches, x.skips, x.likes, x.watchMs, x.lastEventAt, x.fatigue, x.consecutiveSkips, discovery,
  );
}

function pushSeen(m: SessionModel, window: number, id: number): void {
  if (window <= 0) return;
  const pos = m.seenHead >= window ? 0 : m.seenHead;
  if (pos >= m.seen.length) {
    const grown = new Int32Array(Math.min(window, Math.max(SEEN_MIN, m.seen.length * 2))).fill(-1);
    grown.set(m.seen);
    m.seen = grown;
  }
  m.seen[pos] = id;
  m.seenHead = (pos + 1) % window;
}

/** Engagement weight of a watch: negative for fast skips, ~1 for a completion, more for rewatches/likes. */
export function engagementWeight(watchRatio: number, liked: boolean, rewatched: boolean): number {
  const base = Math.min(watchRatio, 1.5) - 0.3;
  return base + (liked ? 0.5 : 0) + (rewatched ? 0.5 : 0);
}

export function markServed(m: SessionModel, p: SessionModelParams, video: FeedVideo): void {
  pushSeen(m, p.seenWindow, video.id);
  m.catShown[video.category] = (m.catShown[video.category] ?? 0) + 1;
  m.served++;
}

/** Applies one watch (or skip) of `video` to the interests, in O(dims). */
export function applyWatch(m: SessionModel, p: SessionModelParams, video: FeedVideo, watchRatio: number, nowMs: number, opts: { liked?: boolean; rewatched?: boolean } = {}): number {
  const w = engagementWeight(watchRatio, opts.liked ?? false, opts.rewatched ?? false);
  if (w > 0) {
    const rate = m.shortWeight === 0 ? 1 : p.shortRate * Math.min(1, w);
    for (let d = 0; d < p.dims; d++) m.short[d] = m.short[d]! * (1 - rate) + rate * (video.vector[d] ?? 0);
    m.shortWeight += w;
    m.recent.unshift(video.id);
    if (m.recent.length > p.recentMax) m.recent.length = p.recentMax;
    m.consecutiveSkips = 0;
    m.fatigue = Math.max(0, m.fatigue * 0.9 - 0.02);
    m.watches++;
  } else {
    m.consecutiveSkips++;
    m.fatigue = Math.min(1, m.fatigue + 0.05 * m.consecutiveSkips);
    m.skips++;
  }
  for (let k = 0; k < m.long.length; k++) m.long[k] = m.long[k]! * p.longDecay;
  m.long[video.category] = (m.long[video.category] ?? 0) + w;
  m.catEngaged[video.category] = (m.catEngaged[video.category] ?? 0) + Math.max(0, w);
  observeTaste(m, video.category, Math.min(1, watchRatio));
  m.watchMs += Math.round(watchRatio * video.durationMs);
  if (opts.liked) m.likes++;
  m.lastEventAt = nowMs;
  // long sessions tire a little even when every video is good
  m.fatigue = Math.min(1, m.fatigue + 0.002);
  return w;
}

/** Long-term affinity as a distribution over categories (uniform when nothing is known). */
export function longTermDistribution(m: SessionModel): number[] {
  const pos = m.long.map((x) => Math.max(0, x));
  const s = pos.reduce((a, b) => a + b, 0);
  return s > 0 ? pos.map((x) => x / s) : pos.map(() => 1 / Math.max(1, pos.length));
}

export function seenSet(m: SessionModel): Set<number> {
  const s = new Set<number>();
  for (const id of m.seen) if (id >= 0) s.add(id);
  return s;
}

/** Records an engagement outcome (0..1) of a category in the discovery posterior, in O(1). */
function observeTaste(m: SessionModel, category: number, reward: number): void {
  let d = m.discovery;
  if (category < 0 || category >= d.a.length) return;
  if (isSharedPrior(d)) m.discovery = d = { a: doubles(d.a.length, d.a), b: doubles(d.b.length, d.b), observed: 0 };
  d.a[category] = d.a[category]! + reward;
  d.b[category] = d.b[category]! + (1 - reward);
  d.observed++;
}
