import { readFileSync, writeFileSync } from "node:fs";
import hnswlib from "hnswlib-node";
import { InvalidArgumentError, ModelError } from "../../protocols/index.ts";
import type { AnnIndex, AnnMetric, Neighbor } from "./ann-index.ts";

export interface HnswParams {
  /** Graph degree. */
  m: number;
  /** Build-time beam; ~100 is the measured sweet spot here. */
  efConstruction: number;
  /** Query-time beam (raised to k when k is larger). */
  efSearch: number;
  /** Initial capacity; the index doubles when full. */
  capacity: number;
  seed?: number;
}

interface Sidecar {
  dim: number;
  metric: AnnMetric;
  params: HnswParams;
  deleted: number[];
}

/**
 * HNSW over hnswlib-node (the only module that imports it). hnswlib takes plain arrays, builds single-
 * threaded and persists to a file: save the index and load it rather than rebuilding from the catalog.
 */
export class HnswIndex implements AnnIndex {
  private readonly index: InstanceType<typeof hnswlib.HierarchicalNSW>;
  private readonly deleted = new Set<number>();
  // hnswlib has no cheap membership test (getPoint copies or throws), so labels are mirrored here
  private readonly labels = new Set<number>();

  private constructor(readonly dim: number, readonly metric: AnnMetric, private readonly params: HnswParams, index?: InstanceType<typeof hnswlib.HierarchicalNSW>) {
    if (index !== undefined) this.index = index;
    else {
      this.index = new hnswlib.HierarchicalNSW(metric, dim);
      this.index.initIndex({ maxElements: Math.max(16, params.capacity), m: params.m, efConstruction: params.efConstruction, randomSeed: params.seed ?? 100, allowReplaceDeleted: false });
    }
    this.index.setEf(params.efSearch);
  }

  static create(dim: number, metric: AnnMetric, params: HnswParams): HnswIndex {
    return new HnswIndex(dim, metric, { ...params });
  }

  /** Opens an index written by `save` (the file plus its `.json` sidecar). */
  static load(path: string): HnswIndex {
    let meta: Sidecar;
    try {
      meta = JSON.parse(readFileSync(`${path}.json`, "utf8")) as Sidecar;
    } catch (e) {
      throw new ModelError(path, "load", "missing or unreadable index sidecar", e);
    }
    const index = new hnswlib.HierarchicalNSW(meta.metric, meta.dim);
    index.readIndexSync(path, false);
    const h = new HnswIndex(meta.dim, meta.metric, meta.params, index);
    for (const id of index.getIdsList()) h.labels.add(id);
    for (const id of meta.deleted) h.deleted.add(id);
    return h;
  }

  save(path: string): void {
    this.index.writeIndexSync(path);
    const meta: Sidecar = { dim: this.dim, metric: this.metric, params: this.params, deleted: [...this.deleted] };
    writeFileSync(`${path}.json`, JSON.stringify(meta));
  }

  /** Changes the query-time beam (recall against latency; see the efSearch sweep in docs/retrieval.md). */
  setEfSearch(ef: number): void {
    if (!Number.isInteger(ef) || ef < 1) throw new InvalidArgumentError("efSearch", "must be a positive integer", ef);
    this.params.efSearch = ef;
    this.index.setEf(ef);
  }

  get size(): number {
    return this.labels.size - this.deleted.size;
  }

  add(id: number, vector: ArrayLike<number>): void {
    if (vector.length !== this.dim) throw new InvalidArgumentError("vector", `length must be ${this.dim}`, vector.length);
    if (!Number.isInteger(id) || id < 0) throw new InvalidArgumentError("id", "must be a non-negative integer", id);
    const point = Array.from(vector);
    if (this.deleted.has(id)) {
      this.index.unmarkDelete(id);
      this.deleted.delete(id);
    } else if (!this.labels.has(id)) {
      if (this.index.getCurrentCount() >= this.index.getMaxElements()) this.index.resizeIndex(this.index.getMaxElements() * 2);
      this.labels.add(id);
    }
    // an existing label gets its vector updated in place by hnswlib
    this.index.addPoint(point, id);
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    this.index.markDelete(id);
    this.deleted.add(id);
  }

  has(id: number): boolean {
    return this.labels.has(id) && !this.deleted.has(id);
  }

  // hnswlib searches with a beam of max(ef, k) itself, so a k above efSearch needs no setEf round trip.
  // `keep` is called from C++ for each point entering the beam (~400 per search at k = 170). Marking the
  // excluded points deleted for the search instead (hnswlib skips both alike) was slower inside a run: ~400
  // against ~380 µs a search, and 1-15% of a simulation's rate, as marking writes into the graph's memory.
  search(query: ArrayLike<number>, k: number, keep?: (id: number) => boolean): Neighbor[] {
    if (query.length !== this.dim) throw new InvalidArgumentError("query", `length must be ${this.dim}`, query.length);
    const n = Math.min(k, this.size);
    if (n <= 0) return [];
    const r = keep === undefined ? this.index.searchKnn(Array.from(query), n) : this.index.searchKnn(Array.from(query), n, keep);
    return r.neighbors.map((id, i) => ({ id, score: 1 - r.distances[i]! }));
  }
}
