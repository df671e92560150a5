import type { Rng } from "../random/rng.ts";
import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";

/** Per-category item lists, best first (e.g. the trending order within the category). */
export interface CategoryCatalog {
  categories(): readonly number[];
  topItems(category: number, limit: number): readonly number[];
}

/**
 * Exploration: good items from categories the user has not been shown, a few per category, categories in a
 * seeded random order so different sessions explore different places.
 */
export class ExplorationSource implements CandidateSource {
  readonly name = "exploration" as const;
  constructor(private readonly catalog: CategoryCatalog, private readonly rng: Rng, private readonly perCategory = 3) {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const unseen = this.catalog.categories().filter((c) => !req.seenCategories.has(c));
    for (let i = unseen.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [unseen[i], unseen[j]] = [unseen[j]!, unseen[i]!];
    }
    const out: Candidate[] = [];
    for (const category of unseen) {
      let taken = 0;
      for (const id of this.catalog.topItems(category, this.perCategory * 4)) {
        if (out.length >= limit) return out;
        if (taken >= this.perCategory) break;
        if (req.seen(id)) continue;
        out.push({ id, score: -out.length, source: this.name });
        taken++;
      }
    }
    return out;
  }
}
