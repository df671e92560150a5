import { join } from "node:path";
import { openDataset } from "../datasets/dataset-source.ts";
import { kuairandVideos } from "../datasets/kuairand.ts";
import type { LabelRules } from "../datasets/labels.ts";
import type { Interaction, Video } from "../datasets/schema.ts";
import { InterestSpace, type InterestDims, type InterestOptions, type UserInterests } from "../interest/user-interests.ts";
import { midStepDim } from "../interest/mid-term.ts";
import { InvalidArgumentError } from "../../protocols/index.ts";
import { fatigueOf, SessionState } from "./fatigue.ts";
import { featureLayout, unit, writeFeatures, type FeatureLayout } from "./features.ts";
import { HashedContentSpace, videoTokens } from "./hashed-content.ts";
import { headTargets, NUM_HEADS } from "./heads.ts";
import { RateCounters } from "./rate-counters.ts";

const DAY_MS = 86_400_000;
/** KuaiRand's dates are Beijing time. */
const TZ_MS = 8 * 3_600_000;

export interface RowBuildOptions {
  /** The kuairand/ folder. */
  dir: string;
  rules: LabelRules;
  dims: InterestDims;
  interest: InterestOptions;
  watchRatioCap: number;
  trainEnd: string;
  validEnd: string;
  /** Keep only users with hash(user) % userModulo === 0 (fast slices for tests); default 1 (all). */
  userModulo?: number;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

/**
 * Every KuaiRand interaction as a ranker row, in time order: features computed from the state *before* the
 * event (interests, live counters, session), then the state updated with it, so no row sees its own label
 * or the future. Rows up to `trainEnd` are the training set, the next days up to `validEnd` validation.
 * The mid-term block is left at zero: the GRU needs these rows to be trained first (`fillMidTerm`).
 */
export interface KuaiRandRows {
  layout: FeatureLayout;
  rows: number;
  trainRows: number;
  validRows: number;
  x: Float32Array;
  /** y[h][r]: head targets. */
  y: Float32Array[];
  /** popularity[h][r]: the item's smoothed rate of each head before the event (the popularity baseline). */
  popularity: Float32Array[];
  userId: Int32Array;
  videoId: Int32Array;
  day: Int32Array;
  playMs: Float64Array;
  durationMs: Float64Array;
  fatigue: Float32Array;
  /** hist[r * seqLen + t]: rows of the user's previous engagements, oldest first, -1 = padding (left). */
  hist: Int32Array;
  seqLen: number;
  stepEngagement: Float32Array;
  stepSkip: Uint8Array;
  content: (videoId: number) => Float32Array;
  videos: number;
  users: number;
}

export function dayNumber(date: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS);
}

export function dayOf(timeMs: number): number {
  return Math.floor((timeMs + TZ_MS) / DAY_MS);
}

export async function buildKuaiRandRows(o: RowBuildOptions): Promise<KuaiRandRows> {
  const trainEnd = dayNumber(o.trainEnd);
  const validEnd = dayNumber(o.validEnd);
  if (validEnd <= trainEnd) throw new InvalidArgumentError("ranking.validEnd", `must be after trainEnd ${o.trainEnd}`, o.validEnd);
  const source = openDataset("kuairand", o.dir, { rules: o.rules });
  const videos = new Map<number, Video>();
  const basic = source.files.videos.find((f) => f.includes("basic")) ?? join(o.dir, "video_features_basic_pure.csv");
  for await (const v of kuairandVideos(basic)) videos.set(v.videoId, v);
  const all: Interaction[] = [];
  const mod = o.userModulo ?? 1;
  for await (const it of source.interactions()) {
    if (mod > 1 && it.userId % mod !== 0) continue;
    const d = dayOf(it.timeMs);
    if (d > validEnd) continue;
    all.push(it);
    if (all.length % 20_000 === 0) o.onProgress?.({ phase: "read", done: all.length, total: 0 });
  }
  all.sort((a, b) => a.timeMs - b.timeMs || a.userId - b.userId);

  const space = new HashedContentSpace(o.dims.content, 0);
  const contentCache = new Map<number, Float32Array>();
  const content = (id: number): Float32Array => {
    let v = contentCache.get(id);
    if (v === undefined) {
      const meta = videos.get(id) ?? { videoId: id, tags: [] };
      contentCache.set(id, (v = space.vector(videoTokens(meta))));
    }
    return v;
  };
  const interests = new InterestSpace(o.dims, o.interest);
  const projected = new Map<number, Float32Array>();
  const proj = (id: number) => {
    let p = projected.get(id);
    if (p === undefined) projected.set(id, (p = interests.short.project(content(id))));
    return p;
  };

  const layout = featureLayout(o.dims);
  const kept = all.filter((it) => headTargets(it.labels, false, o.watchRatioCap) !== undefined);
  const n = kept.length;
  const seqLen = o.interest.midSeqLen;
  const rows: KuaiRandRows = {
    layout, rows: n, trainRows: 0, validRows: 0,
    x: new Float32Array(n * layout.width),
    y: Array.from({ length: NUM_HEADS }, () => new Float32Array(n)),
    popularity: Array.from({ length: NUM_HEADS }, () => new Float32Array(n)),
    userId: new Int32Array(n), videoId: new Int32Array(n), day: new Int32Array(n),
    playMs: new Float64Array(n), durationMs: new Float64Array(n), fatigue: new Float32Array(n),
    hist: new Int32Array(n * seqLen).fill(-1), seqLen,
    stepEngagement: new Float32Array(n), stepSkip: new Uint8Array(n),
    content, videos: 0, users: 0,
  };

  interface UserState { interests: UserInterests; session: SessionState; recentRows: number[] }
  const users = new Map<number, UserState>();
  const itemCounters = new RateCounters(20);
  const userCounters = new RateCounters(10);
  const itemRates = new Float32Array(NUM_HEADS);
  const userRates = new Float32Array(NUM_HEADS);
  const longNorm = new Float32Array(o.dims.long);
  const zerosMid = new Float32Array(o.dims.mid);
  const zerosQ = new Float32Array(o.dims.content);
  const shortBack = new Float32Array(o.dims.content);

  for (let r = 0; r < n; r++) {
    const it = kept[r]!;
    let u = users.get(it.userId);
    if (u === undefined) users.set(it.userId, (u = { interests: interests.create(), session: new SessionState(), recentRows: [] }));
    const meta = videos.get(it.videoId);
    const category = meta?.category;
    const durationMs = it.durationMs !== undefined && it.durationMs > 0 ? it.durationMs : meta?.durationMs;
    if (it.session !== null && it.session.position === 0) u.session.reset();
    const fatigue = fatigueOf(u.session, category);
    itemCounters.rates(it.videoId, itemRates);
    userCounters.rates(it.userId, userRates);
    const ui = u.interests;
    ui.long.decayTo(it.timeMs);
    const v = content(it.videoId);
    writeFeatures(rows.x, r, layout, {
      short: ui.short, mid: zerosMid, longNormalized: ui.long.normalized(longNorm), long: ui.long,
      shortQuery: unitInPlace(interests.short.back(ui.short, shortBack)), midQuery: zerosQ, longQuery: unit(ui.long.query),
      rates: userRates, count: userCounters.count(it.userId),
    }, {
      id: it.videoId, content: v, category, durationMs, rates: itemRates,
      count: itemCounters.count(it.videoId), ageMs: itemCounters.ageMs(it.videoId, it.timeMs),
    }, {
      nowMs: it.timeMs, hour: (((it.timeMs + TZ_MS) / 3_600_000) % 24 + 24) % 24,
      sessionDepth: u.session.depth, sinceLastMs: ui.lastEventMs === undefined ? undefined : it.timeMs - ui.lastEventMs,
      fatigue, repeatShare: u.session.repeatShare(category),
    });
    const targets = headTargets(it.labels, it.session?.continues ?? false, o.watchRatioCap)!;
    for (let h = 0; h < NUM_HEADS; h++) {
      rows.y[h]![r] = targets[h]!;
      rows.popularity[h]![r] = itemRates[h]!;
    }
    rows.userId[r] = it.userId;
    rows.videoId[r] = it.videoId;
    const d = dayOf(it.timeMs);
    rows.day[r] = d;
    if (d <= trainEnd) rows.trainRows++;
    else rows.validRows++;
    rows.playMs[r] = it.playMs ?? 0;
    rows.durationMs[r] = durationMs ?? 0;
    rows.fatigue[r] = fatigue;
    const recent = u.recentRows;
    const start = seqLen - recent.length;
    for (let t = 0; t < recent.length; t++) rows.hist[r * seqLen + start + t] = recent[t]!;
    // then the event updates the state the next rows will see
    const step = ui.observe({
      timeMs: it.timeMs, content: v, categories: meta?.tags ?? [], watchRatio: it.labels.watchRatio,
      skipFast: it.labels.skipFast, complete: it.labels.complete, like: it.signals.like === true,
    }, proj(it.videoId));
    rows.stepEngagement[r] = step.engagement;
    rows.stepSkip[r] = step.skipFast ? 1 : 0;
    recent.push(r);
    if (recent.length > seqLen) recent.shift();
    u.session.observe(it.timeMs, category);
    itemCounters.add(it.videoId, it.timeMs, targets);
    userCounters.add(it.userId, it.timeMs, targets);
    if (r % 20_000 === 0) o.onProgress?.({ phase: "features", done: r, total: n });
  }
  rows.videos = contentCache.size;
  rows.users = users.size;
  return rows;
}

function unitInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  if (s > 0) {
    const k = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i]! *= k;
  }
  return v;
}

/** GRU input of rows `from..to` (exclusive), laid out as `writeSequence` does. */
export function sequencesOf(rows: KuaiRandRows, ids: ArrayLike<number>, out?: Float32Array): Float32Array {
  const dC = rows.layout.dims.content;
  const w = midStepDim(dC);
  const L = rows.seqLen;
  const data = out ?? new Float32Array(ids.length * L * w);
  data.fill(0, 0, ids.length * L * w);
  for (let k = 0; k < ids.length; k++) {
    const r = ids[k]!;
    for (let t = 0; t < L; t++) {
      const p = rows.hist[r * L + t]!;
      if (p < 0) continue;
      const o = (k * L + t) * w;
      data.set(rows.content(rows.videoId[p]!), o);
      data[o + dC] = rows.stepEngagement[p]!;
      data[o + dC + 1] = rows.stepSkip[p]!;
    }
  }
  return data;
}

