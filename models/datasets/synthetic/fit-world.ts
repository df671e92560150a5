import type { Catalog } from "../catalog.ts";
import { sampleQuantiles, tailMaxFor } from "./distributions.ts";
import type { WorldParams } from "./world-params.ts";

export const AFFINITY_EDGES = [0, 0.05, 0.1, 0.2, 0.35, 0.6, 1.0000001];
export const DURATION_EDGES_MS = [0, 8_000, 15_000, 30_000, 60_000, 180_000, Number.MAX_SAFE_INTEGER];
const QUANTILES = 41;
const MIN_CELL = 200;

export function binOf(edges: readonly number[], x: number): number {
  for (let i = 1; i < edges.length; i++) if (x < edges[i]!) return i - 1;
  return edges.length - 2;
}

/**
 * Fits a world from a catalog: video durations, category popularity (by videos and by interactions), user
 * activity, the Dirichlet concentration of per-user category shares, duration exposure bias, and the
 * watch-ratio distribution per (user's affinity for the category, duration) cell. Memory: per user,
 * per video, and the known watch ratios (one number each).
 */
export function fitWorldParams(catalog: Catalog, opts: { source: string }): WorldParams {
  const dur = new Map<number, number>();
  const cat = new Map<number, number>();
  const videoCats = new Map<number, number>();
  let videos = 0;
  for (const v of catalog.videos()) {
    videos++;
    if (v.durationMs !== undefined) dur.set(v.videoId, v.durationMs);
    if (v.category !== undefined) {
      cat.set(v.videoId, v.category);
      videoCats.set(v.category, (videoCats.get(v.category) ?? 0) + 1);
    }
  }
  const ids = [...videoCats.keys()].sort((a, b) => a - b);
  const catIndex = new Map(ids.map((c, i) => [c, i] as const));
  const K = ids.length;
  const interCats = new Float64Array(K);
  const nd = DURATION_EDGES_MS.length - 1;
  const na = AFFINITY_EDGES.length - 1;
  const exposure = new Float64Array(nd);
  const cellValues: number[][][] = Array.from({ length: na }, () => Array.from({ length: nd }, () => []));
  const activity: number[] = [];
  // Moments for the Dirichlet concentration: sum over users and categories of squared share deviations.
  let sumSq = 0;
  let users = 0;
  let interactions = 0;
  let wrSum = 0;
  let wrN = 0;
  const sharesByUser: { n: number; counts: Map<number, number> }[] = [];
  const flush = (list: { c: number; d: number | undefined; wr: number | null }[]) => {
    if (list.length === 0) return;
    users++;
    activity.push(list.length);
    const counts = new Map<number, number>();
    for (const x of list) if (x.c >= 0) counts.set(x.c, (counts.get(x.c) ?? 0) + 1);
    let n = 0;
    for (const v of counts.values()) n += v;
    if (n > 0) sharesByUser.push({ n, counts });
    for (const x of list) {
      if (x.c < 0 || x.d === undefined || x.wr === null) continue;
      // Leave-one-out share: the user's taste for the category before seeing this very interaction.
      const aff = n > 1 ? ((counts.get(x.c) ?? 1) - 1) / (n - 1) : 0;
      cellValues[binOf(AFFINITY_EDGES, aff)]![binOf(DURATION_EDGES_MS, x.d)]!.push(x.wr);
    }
  };
  let curUser: number | undefined;
  let list: { c: number; d: number | undefined; wr: number | null }[] = [];
  for (const i of catalog.interactions()) {
    if (i.userId !== curUser) {
      flush(list);
      list = [];
      curUser = i.userId;
    }
    interactions++;
    const c = cat.get(i.videoId);
    const ci = c === undefined ? -1 : catIndex.get(c)!;
    if (ci >= 0) interCats[ci]!++;
    const d = i.durationMs !== undefined && i.durationMs > 0 ? i.durationMs : dur.get(i.videoId);
    if (d !== undefined) exposure[binOf(DURATION_EDGES_MS, d)]!++;
    const wr = d !== undefined && i.playMs !== undefined ? i.playMs / d : null;
    if (wr !== null) {
      wrSum += wr;
      wrN++;
    }
    list.push({ c: ci, d, wr });
  }
  flush(list);
  const interTotal = interCats.reduce((a, b) => a + b, 0) || 1;
  const interactionShare = [...interCats].map((x) => x / interTotal);
  for (const { n, counts } of sharesByUser) {
    for (let k = 0; k < K; k++) {
      const s = (counts.get(k) ?? 0) / n - interactionShare[k]!;
      sumSq += s * s;
    }
  }
  const concentration = fitConcentration(sharesByUser.map((u) => u.n), sumSq, interactionShare);
  const durations = [...dur.values()].sort((a, b) => a - b);
  const dq = sampleQuantiles(durations, 101);
  const videoByBin = new Float64Array(nd);
  for (const d of durations) videoByBin[binOf(DURATION_EDGES_MS, d)]!++;
  const expTotal = exposure.reduce((a, b) => a + b, 0) || 1;
  activity.sort((a, b) => a - b);
  const aq = sampleQuantiles(activity, 101);
  const marginal = Array.from({ length: nd }, (_, d) => cellValues.flatMap((row) => row[d]!).sort((a, b) => a - b));
  return {
    version: 1,
    source: { dataset: opts.source, users, videos, interactions, meanWatchRatio: round(wrN ? wrSum / wrN : 0) },
    durationMs: { quantiles: dq.map(round), tailMax: round(tailMaxFor(durations, dq)) },
    categories: {
      ids,
      videoShare: ids.map((c) => round(videoCats.get(c)! / sumMap(videoCats))),
      interactionShare: interactionShare.map(round),
    },
    userActivity: { quantiles: aq.map(round), tailMax: round(tailMaxFor(activity, aq)) },
    affinity: { concentration: round(concentration) },
    exposure: {
      durationEdgesMs: DURATION_EDGES_MS,
      weight: [...exposure].map((e, b) => round(videoByBin[b]! > 0 ? e / expTotal / (videoByBin[b]! / durations.length) : 0)),
    },
    watchRatio: {
      affinityEdges: AFFINITY_EDGES,
      durationEdgesMs: DURATION_EDGES_MS,
      cells: cellValues.map((row) =>
        row.map((vals, d) => {
          // Thin cells borrow their duration bin's marginal: fewer than MIN_CELL ratios make noisy quantiles.
          const sorted = vals.length >= MIN_CELL ? vals.sort((a, b) => a - b) : marginal[d]!;
          if (sorted.length === 0) return { quantiles: [0, 0], tailMax: 0, n: 0 };
          const q = sampleQuantiles(sorted, QUANTILES);
          return { quantiles: q.map(round), tailMax: round(tailMaxFor(sorted, q)), n: vals.length };
        }),
      ),
    },
  };
}

function sumMap(m: Map<number, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}

/**
 * Dirichlet-multinomial moments: E[sum_k (share_k - p_k)^2] for a user with n draws is
 * (1 - sum p^2) · (n + s) / (n · (1 + s)). Solves the average of that over users = observed, for s.
 */
function fitConcentration(ns: readonly number[], sumSq: number, p: readonly number[]): number {
  if (ns.length === 0) return 1;
  const base = 1 - p.reduce((a, x) => a + x * x, 0);
  const observed = sumSq / ns.length;
  const expected = (s: number) => (base * ns.reduce((a, n) => a + (n + s) / (n * (1 + s)), 0)) / ns.length;
  // expected() falls from base (s -> 0) to base·mean(1/n) (s -> inf): bisection on log s.
  let lo = -6;
  let hi = 8;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (expected(Math.exp(mid)) > observed) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** 5 significant digits: the committed JSON stays small and diffs stay readable. */
function round(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(5));
}
