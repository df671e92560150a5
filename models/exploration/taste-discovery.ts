import type { Uniform } from "./novelty-injector.ts";

/** The `exploration.discovery` config slice. */
export interface TasteDiscoveryConfig {
  /** Pseudo-observations the cohort prior is worth; small so the user's own evidence wins within a feed or two. */
  priorStrength: number;
}

export interface TasteDiscoveryState {
  a: number[];
  b: number[];
  observed: number;
}

/**
 * Fast taste discovery for new sessions: Thompson sampling over categories, one Beta(a, b) per category
 * on "did the user engage" (reward in [0, 1], e.g. the watch ratio). The prior comes from the cohort's
 * per-category engagement, so the first feed is broad but cohort-shaped, and each observation narrows it.
 *
 * The posterior draw uses the Beta's normal approximation (mean ± sd·z): a Gamma-based Beta draw would
 * cost ~10× more and Thompson only needs the right spread, not exact tails.
 */
export class TasteDiscovery {
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private observed = 0;

  constructor(readonly categories: number, config: TasteDiscoveryConfig, prior?: ArrayLike<number>) {
    this.a = new Float64Array(categories);
    this.b = new Float64Array(categories);
    const s = config.priorStrength;
    for (let c = 0; c < categories; c++) {
      const p = Math.min(0.99, Math.max(0.01, prior ? prior[c]! : 0.5));
      // +0.5 keeps every arm a proper Beta (Jeffreys-like) even with priorStrength 0
      this.a[c] = 0.5 + s * p;
      this.b[c] = 0.5 + s * (1 - p);
    }
  }

  observe(category: number, reward: number): void {
    if (category < 0 || category >= this.categories) return;
    const r = Math.min(1, Math.max(0, reward));
    this.a[category] = this.a[category]! + r;
    this.b[category] = this.b[category]! + (1 - r);
    this.observed++;
  }

  /** Posterior mean engagement of a category. */
  mean(category: number): number {
    const a = this.a[category]!;
    return a / (a + this.b[category]!);
  }

  /** Observations so far (the prior not counted). */
  get evidence(): number {
    return this.observed;
  }

  /** One Thompson draw: the category whose sampled engagement is highest. */
  sample(u: Uniform): number {
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < this.categories; c++) {
      const a = this.a[c]!;
      const n = a + this.b[c]!;
      const m = a / n;
      const sd = Math.sqrt((m * (1 - m)) / (n + 1));
      const v = m + sd * gaussian(u);
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    return best;
  }

  /** One posterior draw per category into `out` (Thompson values for scoring many candidates at once). */
  draws(u: Uniform, out: Float64Array = new Float64Array(this.categories)): Float64Array {
    for (let c = 0; c < this.categories; c++) {
      const a = this.a[c]!;
      const n = a + this.b[c]!;
      const m = a / n;
      out[c] = m + Math.sqrt((m * (1 - m)) / (n + 1)) * gaussian(u);
    }
    return out;
  }

  /** `fromState(s).draws(u, out)` without materialising the posterior (the feed path draws once per request). */
  static drawsFrom(s: TasteDiscoveryState, u: Uniform, out: Float64Array = new Float64Array(s.a.length)): Float64Array {
    const A = s.a, B = s.b;
    for (let c = 0; c < A.length; c++) {
      const a = A[c]!;
      const n = a + B[c]!;
      const m = a / n;
      out[c] = m + Math.sqrt((m * (1 - m)) / (n + 1)) * gaussian(u);
    }
    return out;
  }

  /** Fills `out[0..k)` with Thompson draws (one per exploitation slot). */
  sampleMany(k: number, u: Uniform, out: Int32Array): Int32Array {
    for (let i = 0; i < k; i++) out[i] = this.sample(u);
    return out;
  }

  /** Posterior means normalised to a distribution (e.g. for per-category retrieval quotas). */
  distribution(out = new Float64Array(this.categories)): Float64Array {
    let s = 0;
    for (let c = 0; c < this.categories; c++) s += out[c] = this.mean(c);
    for (let c = 0; c < this.categories; c++) out[c] = out[c]! / s;
    return out;
  }

  toState(): TasteDiscoveryState {
    return { a: Array.from(this.a), b: Array.from(this.b), observed: this.observed };
  }

  static fromState(s: TasteDiscoveryState): TasteDiscovery {
    const t = new TasteDiscovery(s.a.length, { priorStrength: 0 });
    t.a.set(s.a);
    t.b.set(s.b);
    t.observed = s.observed;
    return t;
  }
}

function gaussian(u: Uniform): number {
  const x = 1 - u.next();
  return Math.sqrt(-2 * Math.log(x)) * Math.cos(2 * Math.PI * u.next());
}
