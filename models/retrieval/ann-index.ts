/** Similarity used by an index; both report `score` as a similarity (higher is closer). */
export type AnnMetric = "cosine" | "ip";

export interface Neighbor {
  id: number;
  score: number;
}

/**
 * Nearest-neighbour search over item vectors keyed by a numeric id (the catalog's dense video index).
 * Implemented over hnswlib (`HnswIndex`) and exactly (`BruteForceIndex`, the twin for tests and recall).
 */
export interface AnnIndex {
  readonly dim: number;
  readonly metric: AnnMetric;
  /** Live (not deleted) items. */
  readonly size: number;
  /** Adds or replaces the vector of `id` (an upload, a re-embedding). */
  add(id: number, vector: ArrayLike<number>): void;
  /** Retired videos stop being returned; their slot may be reused. */
  remove(id: number): void;
  has(id: number): boolean;
  /** The `k` nearest live items, best first; `keep` filters ids (e.g. not in the session's seen-set). */
  search(query: ArrayLike<number>, k: number, keep?: (id: number) => boolean): Neighbor[];
}

export function assertDim(index: { dim: number }, v: ArrayLike<number>, what: string): void {
  if (v.length !== index.dim) throw new RangeError(`${what}: vector of length ${v.length}, index dim ${index.dim}`);
}
