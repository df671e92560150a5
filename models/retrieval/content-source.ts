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
    // (the filters below are written where they are used: a named closure made per call costs an
    // Object.defineProperty each under tsx, which names it with __name())
    let positive = 0;
    for (const interest of req.interests) if (interest.weight > 0) positive++;
    if (positive === 1 && Number.isFinite(total)) {
      // one interest (a session's short-term one): its weight share is 1, and an index's list best first
      // is already the candidates' order when it is strict in (score desc, id asc) with distinct ids
      const interest = req.interests.find((i) => i.weight > 0)!;
      const k = Math.max(1, Math.ceil((limit * interest.weight) / total));
      const found = this.index.search(interest.vector, k, (id) => !req.seen(id));
      const direct = inCandidateOrder(found, limit, this.name);
      if (direct !== undefined) return direct;
      const best = new Map<number, number>();
      for (const n of found) if (n.score > (best.get(n.id) ?? -Infinity)) best.set(n.id, n.score);
      return topCandidates(best, limit, this.name);
    }
    const best = new Map<number, number>();
    for (const interest of req.interests) {
      if (interest.weight <= 0) continue;
      const k = Math.max(1, Math.ceil((limit * interest.weight) / total));
      const found = this.index.search(interest.vector, k, (id) => !req.seen(id));
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

/**
 * `found` as candidates when it already is what `topCandidates` would make of it: at most `limit` entries,
 * distinct ids, no NaN or -Infinity score (the best-score map drops them), each entry after the one before
 * in (score desc, id asc). Otherwise undefined.
 */
function inCandidateOrder(found: readonly { id: number; score: number }[], limit: number, source: Candidate["source"]): Candidate[] | undefined {
  const n = found.length;
  if (n > limit) return undefined;
  if (++stamp === 0x7fffffff) {
    marks.fill(0);
    stamp = 1;
  }
  let prevScore = Infinity, prevId = -Infinity;
  for (let i = 0; i < n; i++) {
    const { id, score } = found[i]!;
    if (!(score > -Infinity)) return undefined;
    if (i > 0 && !(score < prevScore || (score === prevScore && id > prevId))) return undefined;
    if (!(id >= 0 && id < MARK_IDS && Number.isInteger(id))) return undefined;
    if (id >= marks.length) {
      const grown = new Int32Array(Math.min(MARK_IDS, Math.max(id + 1, marks.length * 2)));
      grown.set(marks);
      marks = grown;
    }
    if (marks[id] === stamp) return undefined;
    marks[id] = stamp;
    prevScore = score;
    prevId = id;
  }
  const out: Candidate[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { id: found[i]!.id, score: found[i]!.score, source };
  return out;
}

/** Ids below this are checked for repeats in a flat array of stamps (the catalog's dense video numbers). */
const MARK_IDS = 1 << 24;
let marks = new Int32Array(1024);
let stamp = 0;

let ids = new Float64Array(256);
let vals = new Float64Array(256);
let order = new Int32Array(256);
