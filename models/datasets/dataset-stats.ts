import type { Catalog } from "./catalog.ts";
import type { ImportSummary } from "./import-dataset.ts";

/** `fyp data stats`: what a catalog holds, computed by scanning it (memory: per user and per video). */
export interface DatasetStats {
  dataset: string;
  counts: { videos: number; users: number; interactions: number; usersWithInteractions: number; videosWithInteractions: number };
  /** The import's read counts (rows read, duplicates dropped, bad rows) when the catalog has them. */
  imported?: { rows: unknown; duplicates: unknown; badRows: unknown; unjoined: ImportSummary["unjoined"] };
  labels: Record<"complete" | "validPlay" | "longView" | "skipFast" | "rewatch", { rate: number; known: number }>;
  watchRatio: { known: number; mean: number; quantiles: Record<string, number> };
  videoDurationMs: { known: number; mean: number; quantiles: Record<string, number> };
  interactionsPerUser: { mean: number; quantiles: Record<string, number> };
  sessions: { count: number; meanLength: number; continueRate: number };
  categories: { distinct: number; top: { category: number; interactions: number; share: number }[] };
}

const QS = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99];
// Watch ratios are summarised on a fixed grid so memory does not grow with the log.
const WR_BIN = 0.01;
const WR_MAX = 10;

export function computeStats(catalog: Catalog): DatasetStats {
  const counts = catalog.counts();
  const durations: number[] = [];
  const categoryOf = new Map<number, number>();
  for (const v of catalog.videos()) {
    if (v.durationMs !== undefined) durations.push(v.durationMs);
    if (v.category !== undefined) categoryOf.set(v.videoId, v.category);
  }
  const labelKeys = ["complete", "validPlay", "longView", "skipFast", "rewatch"] as const;
  const pos = { complete: 0, validPlay: 0, longView: 0, skipFast: 0, rewatch: 0 };
  const known = { complete: 0, validPlay: 0, longView: 0, skipFast: 0, rewatch: 0 };
  const wrHist = new Float64Array(Math.round(WR_MAX / WR_BIN) + 1);
  let wrSum = 0;
  let wrKnown = 0;
  const perUser = new Map<number, number>();
  const videosSeen = new Set<number>();
  const catCount = new Map<number, number>();
  let sessions = 0;
  let sessionRows = 0;
  let continues = 0;
  for (const i of catalog.interactions()) {
    perUser.set(i.userId, (perUser.get(i.userId) ?? 0) + 1);
    videosSeen.add(i.videoId);
    const c = categoryOf.get(i.videoId);
    if (c !== undefined) catCount.set(c, (catCount.get(c) ?? 0) + 1);
    for (const k of labelKeys) {
      const v = i.labels[k];
      if (v === null) continue;
      known[k]++;
      if (v) pos[k]++;
    }
    const wr = i.labels.watchRatio;
    if (wr !== null) {
      wrKnown++;
      wrSum += wr;
      wrHist[Math.min(wrHist.length - 1, Math.floor(wr / WR_BIN))]!++;
    }
    if (i.session) {
      sessionRows++;
      if (i.session.position === 0) sessions++;
      if (i.session.continues) continues++;
    }
  }
  const activity = [...perUser.values()].sort((a, b) => a - b);
  durations.sort((a, b) => a - b);
  const catTotal = [...catCount.values()].reduce((a, b) => a + b, 0);
  const meta = catalog.getMeta<ImportSummary>("import");
  return {
    dataset: catalog.dataset,
    counts: { ...counts, usersWithInteractions: perUser.size, videosWithInteractions: videosSeen.size },
    ...(meta
      ? { imported: { rows: meta.interactions["rows"], duplicates: meta.interactions["duplicates"], badRows: meta.interactions["badRows"], unjoined: meta.unjoined } }
      : {}),
    labels: Object.fromEntries(labelKeys.map((k) => [k, { rate: ratio(pos[k], known[k]), known: known[k] }])) as DatasetStats["labels"],
    watchRatio: { known: wrKnown, mean: ratio(wrSum, wrKnown), quantiles: histQuantiles(wrHist, wrKnown) },
    videoDurationMs: { known: durations.length, mean: mean(durations), quantiles: quantiles(durations) },
    interactionsPerUser: { mean: mean(activity), quantiles: quantiles(activity) },
    sessions: { count: sessions, meanLength: ratio(sessionRows, sessions), continueRate: ratio(continues, sessionRows) },
    categories: {
      distinct: catCount.size,
      top: [...catCount.entries()]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, 20)
        .map(([category, n]) => ({ category, interactions: n, share: ratio(n, catTotal) })),
    },
  };
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return ratio(s, xs.length);
}

/** Quantiles of a sorted array (nearest rank). */
export function quantiles(sorted: readonly number[], qs: readonly number[] = QS): Record<string, number> {
  const out: Record<string, number> = {};
  if (sorted.length === 0) return out;
  for (const q of qs) out[`p${Math.round(q * 100)}`] = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return out;
}

function histQuantiles(hist: Float64Array, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (n === 0) return out;
  let acc = 0;
  let qi = 0;
  for (let b = 0; b < hist.length && qi < QS.length; b++) {
    acc += hist[b]!;
    while (qi < QS.length && acc > QS[qi]! * n) out[`p${Math.round(QS[qi++]! * 100)}`] = b * WR_BIN;
  }
  return out;
}
