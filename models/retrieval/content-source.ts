import type { AnnIndex } from "./ann-index.ts";
import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";
import { selectTopInto } from "./co-engagement.ts";

/**
 * Content-based retrieval: ANN over video content vectors from each interest vector, each getting a share
 * of the limit by its weight; an item found from several interests keeps its best weighted score.
 */
export class ContentSource implements CandidateSource {
  readonly name = "content" as const;
  constructor(private readonly index: AnnIndex) {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const total = req.interests.reduce((s, i) => s + Math.max(0, i.weight), 0);
    if (total <= 0 || limit <= 0) return [];
    const best = new Map<number, number>();
    const keep = (id: number) => !req.seen(id);
    for (const interest of req.interests) {
      if (interest.weight <= 0) continue;
      const k = Math.max(1, Math.ceil((limit * interest.weight) / total));
      const found = req.seenIds !== undefined && this.index.searchExcluding !== undefined ? this.index.searchExcluding(interest.vector, k, req.seenIds) : this.index.search(interest.vector, k, keep);
      for (const n of found) {
        const s = n.score * (interest.weight / total);
        if (s > (best.get(n.id) ?? -Infinity)) best.set(n.id, s);
      }
    }
    return topCandidates(best, limit, this.name);
  }
}

/**
 * The best `limit` entries, score descending, ties by lower id: a top-k selection over typed arrays, the
 * same list as sorting every entry and slicing (ids are unique, so the order is total).
 */
export function topCandidates(scores: Map<number, number>, limit: number, source: Candidate["source"]): Candidate[] {
  const n = scores.size;
  if (ids.length < n) {
    ids = new Float64Array(n * 2);
    vals = new Float64Array(n * 2);
  }
  let i = 0;
  let nan = false;
  for (const [id, score] of scores) {
    ids[i] = id;
    vals[i++] = score;
    if (Number.isNaN(score)) nan = true;
  }
  // a NaN score has no place in a total order: keep the comparator sort's behaviour for it
  if (nan) return [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit).map(([id, score]) => ({ id, score, source }));
  const k = Math.max(0, Math.min(limit, n));
  if (order.length < k) order = new Int32Array(k * 2);
  const m = selectTopInto(ids, vals, n, k, order);
  const out: Candidate[] = new Array(m);
  for (let r = 0; r < m; r++) out[r] = { id: ids[order[r]!]!, score: vals[order[r]!]!, source };
  return out;
}

let ids = new Float64Array(256);
let vals = new Float64Array(256);
let order = new Int32Array(256);
