import type { AnnIndex } from "./ann-index.ts";
import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";

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

export function topCandidates(scores: Map<number, number>, limit: number, source: Candidate["source"]): Candidate[] {
  return [...scores]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, limit)
    .map(([id, score]) => ({ id, score, source }));
}
