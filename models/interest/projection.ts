import { createRng } from "../random/rng.ts";

/**
 * A fixed random projection between the content space (dim `from`) and an interest space (dim `to`),
 * Gaussian with variance 1/to so inner products survive on average (Johnson-Lindenstrauss). Its transpose
 * carries an interest vector back into content space: <Pᵀs, v> = <s, Pv>, so an ANN query with Pᵀs over
 * content vectors ranks items exactly as the interest space would. When `from === to` it is the identity.
 */
export class Projection {
  private readonly w: Float32Array | undefined; // row-major [to, from]

  constructor(readonly from: number, readonly to: number, seed: number) {
    if (from === to) return;
    const rng = createRng(seed);
    const s = 1 / Math.sqrt(to);
    this.w = Float32Array.from({ length: from * to }, () => rng.normal() * s);
  }

  /** out = P v (dim `to`). */
  project(v: ArrayLike<number>, out: Float32Array = new Float32Array(this.to)): Float32Array {
    const w = this.w;
    if (w === undefined) {
      for (let i = 0; i < this.to; i++) out[i] = v[i]!;
      return out;
    }
    const f = this.from;
    for (let r = 0; r < this.to; r++) {
      let acc = 0;
      const base = r * f;
      for (let c = 0; c < f; c++) acc += w[base + c]! * v[c]!;
      out[r] = acc;
    }
    return out;
  }

  /** out = Pᵀ s (dim `from`): the interest vector as a content-space query. */
  back(s: ArrayLike<number>, out: Float32Array = new Float32Array(this.from)): Float32Array {
    const w = this.w;
    if (w === undefined) {
      for (let i = 0; i < this.from; i++) out[i] = s[i]!;
      return out;
    }
    out.fill(0);
    const f = this.from;
    for (let r = 0; r < this.to; r++) {
      const sr = s[r]!;
      if (sr === 0) continue;
      const base = r * f;
      for (let c = 0; c < f; c++) out[c]! += w[base + c]! * sr;
    }
    return out;
  }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** a·b / (|a||b|), 0 when either is zero. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = norm(a) * norm(b);
  return d > 0 ? dot(a, b) / d : 0;
}
