import type { Rng } from "../random/rng.ts";
import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";

/** The catalog by category. */
export interface CategoryCatalog {
  categories(): readonly number[];
  /** Every video id of a category (read-only view; no copy). */
  categoryItems(category: number): readonly number[];
}

/**
 * Exploration: videos drawn at random from the whole catalog, each category weighted by its size and by
 * `unseenBoost` when the user has not engaged with it yet. Uniform over videos rather than a few "best" per
 * category: with a skewed category mix (KuaiRand's has categories of 2 and of 2,000 videos) a top-N per
 * category sends every explorer to the same handful of videos, concentrating exposure as much as the
 * exploitation exploration is meant to balance. Which of the drawn videos make the feed is the ranker's,
 * the bandit's and taste discovery's call.
 */
export class ExplorationSource implements CandidateSource {
  readonly name = "exploration" as const;
  private cum = new Float64Array(0);

  constructor(
    private readonly catalog: CategoryCatalog,
    private readonly rng: Rng,
    private readonly unseenBoost = 3,
  ) {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const cats = this.catalog.categories();
    if (this.cum.length < cats.length) this.cum = new Float64Array(cats.length);
    const cum = this.cum;
    let total = 0;
    for (let i = 0; i < cats.length; i++) {
      const c = cats[i]!;
      total += this.catalog.categoryItems(c).length * (req.seenCategories.has(c) ? 1 : this.unseenBoost);
      cum[i] = total;
    }
    const out: Candidate[] = [];
    if (total === 0) return out;
    // the ids drawn so far: a stamp per dense id (a new stamp per call, nothing cleared), a set for others
    if (++this.stamp === 0x7fffffff) {
      this.marks.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    let other: Set<number> | undefined;
    for (let tries = 0; out.length < limit && tries < limit * 4; tries++) {
      const x = this.rng.next() * total;
      let lo = 0;
      let hi = cats.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      const items = this.catalog.categoryItems(cats[lo]!);
      const id = items[this.rng.int(items.length)]!;
      if (id >= 0 && id < DENSE_IDS && Number.isInteger(id)) {
        if (id >= this.marks.length) this.grow(id);
        if (this.marks[id] === stamp || req.seen(id)) continue;
        this.marks[id] = stamp;
      } else {
        if (other?.has(id) === true || req.seen(id)) continue;
        (other ??= new Set<number>()).add(id);
      }
      out.push({ id, score: -out.length, source: this.name });
    }
    return out;
  }

  private marks = new Int32Array(1024);
  private stamp = 0;

  private grow(id: number): void {
    const m = new Int32Array(Math.min(DENSE_IDS, Math.max(id + 1, this.marks.length * 2)));
    m.set(this.marks);
    this.marks = m;
  }
}

/** Ids below this are marked in a flat array (the catalog's dense video numbers); others in a set. */
const DENSE_IDS = 1 << 24;
