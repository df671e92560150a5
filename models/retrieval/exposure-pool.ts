import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";

interface Entry {
  shown: number;
  budget: number;
  addedAt: number;
}

/**
 * A cohort's pool of new videos under test: each gets a budget of impressions; the least-shown come first so
 * every new video gets its test exposure. An item leaves when its budget is spent or it graduates.
 */
export class ExposurePool {
  private readonly pools = new Map<string, Map<number, Entry>>();

  constructor(private readonly defaultBudget: number) {}

  add(cohort: string, item: number, nowMs: number, budget = this.defaultBudget): void {
    let p = this.pools.get(cohort);
    if (p === undefined) this.pools.set(cohort, (p = new Map()));
    if (!p.has(item)) p.set(item, { shown: 0, budget, addedAt: nowMs });
  }

  recordImpression(cohort: string, item: number): void {
    const p = this.pools.get(cohort);
    const e = p?.get(item);
    if (p === undefined || e === undefined) return;
    if (++e.shown >= e.budget) p.delete(item);
  }

  /** Removes the item (it graduated to the main pool or was retired). */
  remove(cohort: string, item: number): void {
    this.pools.get(cohort)?.delete(item);
  }

  size(cohort: string): number {
    return this.pools.get(cohort)?.size ?? 0;
  }

  /** Items with budget left, fewest impressions first, then oldest. */
  next(cohort: string, limit: number, skip: (id: number) => boolean): { id: number; remaining: number }[] {
    const p = this.pools.get(cohort);
    if (p === undefined) return [];
    return [...p]
      .filter(([id]) => !skip(id))
      .sort((a, b) => a[1].shown - b[1].shown || a[1].addedAt - b[1].addedAt || a[0] - b[0])
      .slice(0, limit)
      .map(([id, e]) => ({ id, remaining: e.budget - e.shown }));
  }
}

export class ColdStartSource implements CandidateSource {
  readonly name = "coldStart" as const;
  constructor(private readonly pool: ExposurePool) {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    return this.pool.next(req.cohort, limit, req.seen).map((e, i) => ({ id: e.id, score: -i, source: this.name }));
  }
}
