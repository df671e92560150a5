import { InvalidArgumentError } from "../../protocols/index.ts";
import type { AnnIndex, AnnMetric, Neighbor } from "./ann-index.ts";

/** Exact search by scanning every vector: the reference for recall and the index of small catalogs. */
export class BruteForceIndex implements AnnIndex {
  private vectors = new Float32Array(0);
  private ids: number[] = [];
  private readonly slotOf = new Map<number, number>();

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
    const q = Float32Array.from(query);
    if (this.metric === "cosine") {
      const n = Math.hypot(...q) || 1;
      for (let d = 0; d < this.dim; d++) q[d]! /= n;
    }
    // bounded min-heap of the best k by score
    const heap: Neighbor[] = [];
    for (let s = 0; s < this.ids.length; s++) {
      const id = this.ids[s]!;
      if (keep !== undefined && !keep(id)) continue;
      let dot = 0;
      const base = s * this.dim;
      for (let d = 0; d < this.dim; d++) dot += q[d]! * this.vectors[base + d]!;
      if (heap.length < k) {
        heap.push({ id, score: dot });
        siftUp(heap, heap.length - 1);
      } else if (k > 0 && dot > heap[0]!.score) {
        heap[0] = { id, score: dot };
        siftDown(heap, 0);
      }
    }
    return heap.sort((a, b) => b.score - a.score || a.id - b.id);
  }
}

function siftUp(h: Neighbor[], i: number): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]!.score <= h[i]!.score) return;
    [h[p], h[i]] = [h[i]!, h[p]!];
    i = p;
  }
}

function siftDown(h: Neighbor[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < h.length && h[l]!.score < h[m]!.score) m = l;
    if (r < h.length && h[r]!.score < h[m]!.score) m = r;
    if (m === i) return;
    [h[m], h[i]] = [h[i]!, h[m]!];
    i = m;
  }
}
