import { createRng } from "../../models/index.ts";

/** Mean, sample standard deviation and a two-sided t confidence interval of the mean. */
export interface Estimate {
  n: number;
  mean: number;
  sd: number;
  low: number;
  high: number;
}

/** A paired comparison (arm − baseline, per shared seed). */
export interface PairedDiff {
  n: number;
  meanDiff: number;
  /** t interval of the mean paired difference. */
  low: number;
  high: number;
  /** Percentile bootstrap interval of the mean paired difference. */
  bootLow: number;
  bootHigh: number;
  /** Two-sided paired t-test p-value (1 when every difference is 0). */
  p: number;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** ln Γ(x) (Lanczos). */
function lnGamma(x: number): number {
  const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let ser = 1.000000000190015;
  for (const ci of c) ser += ci / ++y;
  return -tmp + Math.log((2.5066282746310005 * ser) / x);
}

/** Continued fraction of the regularized incomplete beta (Numerical Recipes `betacf`). */
function betacf(a: number, b: number, x: number): number {
  const EPS = 3e-14, FPMIN = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bt = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (bt * betacf(a, b, x)) / a : 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** Student t CDF with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(df / 2, 0.5, x);
  return t >= 0 ? 1 - tail : tail;
}

/** The t quantile: tCdf(q, df) = p (bisection; exact to ~1e-10). */
export function tQuantile(p: number, df: number): number {
  if (p <= 0 || p >= 1) throw new RangeError(`tQuantile: p must be in (0, 1), got ${p}`);
  let lo = -1e4, hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean with a two-sided t interval at `confidence` (a single value has a zero-width interval). */
export function estimate(xs: readonly number[], confidence: number): Estimate {
  const n = xs.length, m = mean(xs), s = sd(xs);
  if (n < 2) return { n, mean: m, sd: 0, low: m, high: m };
  const half = tQuantile(1 - (1 - confidence) / 2, n - 1) * (s / Math.sqrt(n));
  return { n, mean: m, sd: s, low: m - half, high: m + half };
}

/**
 * Paired comparison of `arm` against `base` (index i of both = the same seed): t interval and seeded
 * percentile bootstrap of the mean difference, and the paired t-test p-value.
 */
export function pairedDiff(base: readonly number[], arm: readonly number[], confidence: number, resamples: number, seed = 1): PairedDiff {
  if (base.length !== arm.length) throw new RangeError(`pairedDiff: ${base.length} baseline values vs ${arm.length} arm values`);
  const d = arm.map((x, i) => x - base[i]!);
  const e = estimate(d, confidence);
  const n = d.length;
  let p = 1;
  if (n >= 2 && e.sd > 0) p = 2 * (1 - tCdf(Math.abs(e.mean) / (e.sd / Math.sqrt(n)), n - 1));
  else if (n >= 2 && e.mean !== 0) p = 0;
  const rng = createRng(seed).fork("bootstrap");
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[rng.int(n)]!;
    means[b] = s / Math.max(1, n);
  }
  means.sort();
  const q = (f: number) => means[Math.min(resamples - 1, Math.max(0, Math.floor(f * resamples)))]!;
  const alpha = 1 - confidence;
  return { n, meanDiff: e.mean, low: e.low, high: e.high, bootLow: n === 0 ? NaN : q(alpha / 2), bootHigh: n === 0 ? NaN : q(1 - alpha / 2), p };
}
