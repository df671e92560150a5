import type { Rng } from "../../random/rng.ts";

/**
 * Inverse CDF from quantiles q[0..n-1] at evenly spaced probabilities 0..1, linear in between. The last
 * segment ends at `tailMax` instead of q[n-1] when given, chosen at fit time so that the segment's mean
 * equals the data's conditional mean (a linear top segment up to the sample max overstates heavy tails).
 */
export function inverseCdf(q: readonly number[], u: number, tailMax?: number): number {
  const n = q.length - 1;
  const x = u * n;
  const i = Math.min(n - 1, Math.floor(x));
  const lo = q[i]!;
  const hi = i === n - 1 && tailMax !== undefined ? tailMax : q[i + 1]!;
  return lo + (hi - lo) * (x - i);
}

/** Quantiles of a sorted sample at `points` evenly spaced probabilities (linear interpolation). */
export function sampleQuantiles(sorted: ArrayLike<number>, points: number): number[] {
  const out: number[] = [];
  const n = sorted.length;
  for (let k = 0; k < points; k++) {
    const pos = (k / (points - 1)) * (n - 1);
    const i = Math.floor(pos);
    const a = sorted[i]!;
    const b = sorted[Math.min(n - 1, i + 1)]!;
    out.push(a + (b - a) * (pos - i));
  }
  return out;
}

/** The end of the last segment so that its mean matches the data's mean above the second-last quantile. */
export function tailMaxFor(sorted: ArrayLike<number>, q: readonly number[]): number {
  const lo = q[q.length - 2]!;
  const n = sorted.length;
  const from = Math.floor(((q.length - 2) / (q.length - 1)) * (n - 1));
  let s = 0;
  let c = 0;
  for (let i = from; i < n; i++) {
    s += sorted[i]!;
    c++;
  }
  return c === 0 ? q[q.length - 1]! : Math.max(lo, 2 * (s / c) - lo);
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shapes below 1 use the boost G(a) = G(a+1)·U^(1/a). */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Index i with cumulative[i-1] <= u < cumulative[i] (cumulative ends at 1 or at the total). */
export function pickCumulative(cumulative: ArrayLike<number>, u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  const target = u * cumulative[hi]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Kolmogorov–Smirnov distance between two samples (sorted copies are made). */
export function ksDistance(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

function ranks(v: readonly number[]): number[] {
  const idx = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}
