import { InvalidArgumentError } from "../../protocols/index.ts";
import type { AnnIndex, AnnMetric, Neighbor } from "./ann-index.ts";

/** Exact search by scanning every vector: the reference for recall and the index of small catalogs. */
export class BruteForceIndex implements AnnIndex {
  private vectors = new Float32Array(0);
  private ids: number[] = [];
  private readonly slotOf = new Map<number, number>();

  /** Scratch: the query's dot product with every slot. */
  private dots = new Float64Array(0);

  constructor(readonly dim: number, readonly metric: AnnMetric = "cosine") {}

  get size(): number {
    return this.slotOf.size;
  }

  add(id: number, vector: ArrayLike<number>): void {
    if (vector.length !== this.dim) throw new InvalidArgumentError("vector", `length must be ${this.dim}`, vector.length);
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.ids.push(id);
      this.slotOf.set(id, slot);
      if ((slot + 1) * this.dim > this.vectors.length) {
        const grown = new Float32Array(Math.max(1024, (slot + 1) * 2) * this.dim);
        grown.set(this.vectors);
        this.vectors = grown;
      }
    }
    const norm = this.metric === "cosine" ? Math.hypot(...Array.from(vector)) || 1 : 1;
    for (let d = 0; d < this.dim; d++) this.vectors[slot * this.dim + d] = vector[d]! / norm;
  }

  remove(id: number): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    // move the last slot into the hole so the scan stays dense
    const last = this.ids.length - 1;
    const lastId = this.ids[last]!;
    this.vectors.copyWithin(slot * this.dim, last * this.dim, (last + 1) * this.dim);
    this.ids[slot] = lastId;
    this.slotOf.set(lastId, slot);
    this.ids.pop();
    this.slotOf.delete(id);
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  search(query: ArrayLike<number>, k: number, keep?: (id: number) => boolean): Neighbor[] {
    if (query.length !== this.dim) throw new InvalidArgumentError("query", `length must be ${this.dim}`, query.length);
    const dim = this.dim;
    const q = Float32Array.from(query);
    if (this.metric === "cosine") {
      let n = 0;
      for (let d = 0; d < dim; d++) n += q[d]! * q[d]!;
      n = Math.sqrt(n) || 1;
      for (let d = 0; d < dim; d++) q[d]! /= n;
    }
    const cap = Math.max(0, Math.min(k, this.ids.length));
    if (cap === 0) return [];
    // bounded min-heap of the best k in parallel typed arrays (no object per candidate); the `keep` filter
    // runs only for vectors that would enter the heap
    const hs = new Float64Array(cap);
    const hi = new Int32Array(cap);
    let size = 0;
    const ids = this.ids;
    if (this.dots.length < ids.length) this.dots = new Float64Array(Math.max(1024, ids.length * 2));
    const dots = this.dots;
    dotsInto(q, this.vectors, ids.length, dim, dots);
    for (let s = 0; s < ids.length; s++) {
      const dot = dots[s]!;
      if (size === cap && dot <= hs[0]!) continue;
      const id = ids[s]!;
      if (keep !== undefined && !keep(id)) continue;
      if (size < cap) {
        let i = size++;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (hs[p]! <= dot) break;
          hs[i] = hs[p]!;
          hi[i] = hi[p]!;
          i = p;
        }
        hs[i] = dot;
        hi[i] = id;
      } else {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= size) break;
          const r = l + 1;
          const m = r < size && hs[r]! < hs[l]! ? r : l;
          if (hs[m]! >= dot) break;
          hs[i] = hs[m]!;
          hi[i] = hi[m]!;
          i = m;
        }
        hs[i] = dot;
        hi[i] = id;
      }
    }
    const out: Neighbor[] = new Array(size);
    for (let i = 0; i < size; i++) out[i] = { id: hi[i]!, score: hs[i]! };
    return out.sort((a, b) => b.score - a.score || a.id - b.id);
  }
}

/**
 * `out[s] = q · vectors[s]` for the first `n` slots, each sum in index order (so bit for bit the plain loop's):
 * four slots at a time, four dimensions per step. A dot product is a chain of dependent additions; four
 * independent chains keep the FPU busy (~2.6x the plain loop in CPU time at 2,000 x 128).
 */
function dotsInto(q: Float32Array, v: Float32Array, n: number, dim: number, out: Float64Array): void {
  const d4 = dim & ~3;
  let s = 0;
  for (; s + 4 <= n; s += 4) {
    let a = 0, b = 0, c = 0, e = 0;
    const b0 = s * dim, b1 = b0 + dim, b2 = b1 + dim, b3 = b2 + dim;
    let d = 0;
    for (; d < d4; d += 4) {
      const x0 = q[d]!, x1 = q[d + 1]!, x2 = q[d + 2]!, x3 = q[d + 3]!;
      a = a + x0 * v[b0 + d]! + x1 * v[b0 + d + 1]! + x2 * v[b0 + d + 2]! + x3 * v[b0 + d + 3]!;
      b = b + x0 * v[b1 + d]! + x1 * v[b1 + d + 1]! + x2 * v[b1 + d + 2]! + x3 * v[b1 + d + 3]!;
      c = c + x0 * v[b2 + d]! + x1 * v[b2 + d + 1]! + x2 * v[b2 + d + 2]! + x3 * v[b2 + d + 3]!;
      e = e + x0 * v[b3 + d]! + x1 * v[b3 + d + 1]! + x2 * v[b3 + d + 2]! + x3 * v[b3 + d + 3]!;
    }
    for (; d < dim; d++) {
      const x = q[d]!;
      a += x * v[b0 + d]!;
      b += x * v[b1 + d]!;
      c += x * v[b2 + d]!;
      e += x * v[b3 + d]!;
    }
    out[s] = a;
    out[s + 1] = b;
    out[s + 2] = c;
    out[s + 3] = e;
  }
  for (; s < n; s++) {
    let a = 0;
    const b0 = s * dim;
    for (let d = 0; d < dim; d++) a += q[d]! * v[b0 + d]!;
    out[s] = a;
  }
}
