/** LinUCB hyper-parameters (the `exploration.linucb` config slice). */
export interface LinUcbConfig {
  /** Width of the confidence bonus: UCB = xᵀθ + alpha·sqrt(xᵀA⁻¹x). */
  alpha: number;
  /** Ridge prior: A starts as lambda·I. */
  lambda: number;
}

/** Plain-array state, safe for msgpackr / JSON (actor passivation). */
export interface LinUcbState {
  dim: number;
  arms: number;
  alpha: number;
  /** arms × dim × dim, row-major. */
  aInv: number[];
  /** arms × dim. */
  b: number[];
  /** Updates seen per arm. */
  n: number[];
}

/**
 * LinUCB (Li et al. 2010). With `arms = 1` one linear model is shared by all candidates (the context vector
 * carries the item's features), which is what a feed needs: arms are items and come and go. With `arms > 1`
 * each arm has its own (A, b): the disjoint variant, e.g. one model per candidate source.
 *
 * A⁻¹ is kept directly and updated with Sherman–Morrison, so an update and a score are both O(d²) and
 * nothing is ever inverted. θ = A⁻¹b is cached and refreshed on update, so scoring costs no solve.
 */
export class LinUcb {
  alpha: number;
  readonly dim: number;
  readonly arms: number;
  private readonly aInv: Float64Array;
  private readonly b: Float64Array;
  private readonly theta: Float64Array;
  private readonly n: Float64Array;
  // scratch for A⁻¹x: one buffer per instance so the hot path allocates nothing
  private readonly ax: Float64Array;

  constructor(dim: number, config: LinUcbConfig, arms = 1) {
    if (!(dim >= 1) || !(arms >= 1)) throw new RangeError(`LinUcb: dim ${dim} and arms ${arms} must be >= 1`);
    if (!(config.lambda > 0)) throw new RangeError(`LinUcb: lambda ${config.lambda} must be > 0`);
    this.dim = dim;
    this.arms = arms;
    this.alpha = config.alpha;
    this.aInv = new Float64Array(arms * dim * dim);
    this.b = new Float64Array(arms * dim);
    this.theta = new Float64Array(arms * dim);
    this.n = new Float64Array(arms);
    this.ax = new Float64Array(dim);
    const inv = 1 / config.lambda;
    for (let a = 0; a < arms; a++) for (let i = 0; i < dim; i++) this.aInv[a * dim * dim + i * dim + i] = inv;
  }

  /** Expected reward xᵀθ. */
  mean(x: ArrayLike<number>, arm = 0, offset = 0): number {
    const d = this.dim;
    const t0 = arm * d;
    let s = 0;
    for (let i = 0; i < d; i++) s += x[offset + i]! * this.theta[t0 + i]!;
    return s;
  }

  /** Confidence width sqrt(xᵀA⁻¹x). */
  width(x: ArrayLike<number>, arm = 0, offset = 0): number {
    const d = this.dim;
    const m0 = arm * d * d;
    const A = this.aInv;
    let q = 0;
    for (let i = 0; i < d; i++) {
      let r = 0;
      const row = m0 + i * d;
      for (let j = 0; j < d; j++) r += A[row + j]! * x[offset + j]!;
      q += x[offset + i]! * r;
    }
    return Math.sqrt(q > 0 ? q : 0);
  }

  /** The upper confidence bound of one context. */
  score(x: ArrayLike<number>, arm = 0, offset = 0): number {
    return this.mean(x, arm, offset) + this.alpha * this.width(x, arm, offset);
  }

  /**
   * UCB of `count` contexts stored row after row in `xs` (count × dim), written into `out`. `exploit`, when
   * given, is added per row (the ranker's score, so the bandit only has to learn the residual).
   */
  scoreBatch(xs: ArrayLike<number>, count: number, out: Float64Array, arm = 0, exploit?: ArrayLike<number>): Float64Array {
    for (let r = 0; r < count; r++) out[r] = (exploit ? exploit[r]! : 0) + this.score(xs, arm, r * this.dim);
    return out;
  }

  /** Index of the best UCB among `count` rows of `xs`. */
  select(xs: ArrayLike<number>, count: number, arm = 0): number {
    let best = -1;
    let bestScore = -Infinity;
    for (let r = 0; r < count; r++) {
      const s = this.score(xs, arm, r * this.dim);
      if (s > bestScore) {
        bestScore = s;
        best = r;
      }
    }
    return best;
  }

  /** Observe `reward` for context x: A += xxᵀ (via Sherman–Morrison on A⁻¹), b += r·x, θ = A⁻¹b. O(d²). */
  update(x: ArrayLike<number>, reward: number, arm = 0, offset = 0): void {
    const d = this.dim;
    const m0 = arm * d * d;
    const v0 = arm * d;
    const A = this.aInv;
    const ax = this.ax;
    let denom = 1;
    for (let i = 0; i < d; i++) {
      let r = 0;
      const row = m0 + i * d;
      for (let j = 0; j < d; j++) r += A[row + j]! * x[offset + j]!;
      ax[i] = r;
      denom += x[offset + i]! * r;
    }
    // A⁻¹ is symmetric, so xᵀA⁻¹ = (A⁻¹x)ᵀ and the correction is the outer product of ax with itself
    const inv = 1 / denom;
    for (let i = 0; i < d; i++) {
      const ai = ax[i]! * inv;
      const row = m0 + i * d;
      for (let j = 0; j < d; j++) A[row + j] = A[row + j]! - ai * ax[j]!;
    }
    for (let i = 0; i < d; i++) this.b[v0 + i] = this.b[v0 + i]! + reward * x[offset + i]!;
    for (let i = 0; i < d; i++) {
      let r = 0;
      const row = m0 + i * d;
      for (let j = 0; j < d; j++) r += A[row + j]! * this.b[v0 + j]!;
      this.theta[v0 + i] = r;
    }
    this.n[arm] = this.n[arm]! + 1;
  }

  /** Updates seen by an arm. */
  count(arm = 0): number {
    return this.n[arm]!;
  }

  /** The current θ of an arm (a view; do not keep it across updates). */
  weights(arm = 0): Float64Array {
    return this.theta.subarray(arm * this.dim, (arm + 1) * this.dim);
  }

  toState(): LinUcbState {
    return { dim: this.dim, arms: this.arms, alpha: this.alpha, aInv: Array.from(this.aInv), b: Array.from(this.b), n: Array.from(this.n) };
  }

  static fromState(s: LinUcbState, lambda = 1): LinUcb {
    const m = new LinUcb(s.dim, { alpha: s.alpha, lambda }, s.arms);
    if (s.aInv.length !== m.aInv.length || s.b.length !== m.b.length) throw new RangeError("LinUcb.fromState: state sizes do not match dim/arms");
    m.aInv.set(s.aInv);
    m.b.set(s.b);
    m.n.set(s.n);
    for (let a = 0; a < m.arms; a++) {
      const d = m.dim;
      for (let i = 0; i < d; i++) {
        let r = 0;
        for (let j = 0; j < d; j++) r += m.aInv[a * d * d + i * d + j]! * m.b[a * d + j]!;
        m.theta[a * d + i] = r;
      }
    }
    return m;
  }
}
