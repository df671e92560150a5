import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";

/**
 * Time-decayed engagement per cohort. A weight w at time t is stored as w * 2^((t - t0) / halfLife): the
 * ranking then never changes with the query time, so nothing has to be decayed on read; t0 is moved
 * forward before the factors could overflow.
 */
export class TrendingCounter {
  private readonly byCohort = new Map<string, Map<number, number>>();
  private t0: number | undefined;
  private readonly topCache = new Map<string, { at: number; ids: number[] }>();

  constructor(private readonly halfLifeMs: number, private readonly refreshMs = 1000) {}

  record(cohort: string, item: number, weight: number, nowMs: number): void {
    this.t0 ??= nowMs;
    let exp = (nowMs - this.t0) / this.halfLifeMs;
    if (exp > 500) {
      this.rebase(nowMs);
      exp = 0;
    }
    let m = this.byCohort.get(cohort);
    if (m === undefined) this.byCohort.set(cohort, (m = new Map()));
    m.set(item, (m.get(item) ?? 0) + weight * 2 ** exp);
  }

  /** Decayed score as of `nowMs`. */
  score(cohort: string, item: number, nowMs: number): number {
    const v = this.byCohort.get(cohort)?.get(item) ?? 0;
    return this.t0 === undefined ? 0 : v * 2 ** (-(nowMs - this.t0) / this.halfLifeMs);
  }

  /** Cohort items by decayed score, best first (recomputed at most every `refreshMs` of clock time). */
  top(cohort: string, nowMs: number, limit: number): number[] {
    const cached = this.topCache.get(cohort);
    if (cached !== undefined && nowMs - cached.at < this.refreshMs && cached.ids.length >= limit) return cached.ids.slice(0, limit);
    const m = this.byCohort.get(cohort);
    const ids = m === undefined ? [] : [...m].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, Math.max(limit, 1000)).map(([id]) => id);
    this.topCache.set(cohort, { at: nowMs, ids });
    return ids.slice(0, limit);
  }

  private rebase(nowMs: number): void {
    const f = 2 ** (-(nowMs - this.t0!) / this.halfLifeMs);
    for (const m of this.byCohort.values()) for (const [k, v] of m) m.set(k, v * f);
    this.t0 = nowMs;
  }
}

/** Popular/trending in the user's cohort, falling back to the global cohort for small cohorts. */
export class TrendingSource implements CandidateSource {
  readonly name = "trending" as const;
  constructor(private readonly counter: TrendingCounter, private readonly globalCohort = "*") {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const out: Candidate[] = [];
    const taken = new Set<number>();
    for (const cohort of req.cohort === this.globalCohort ? [req.cohort] : [req.cohort, this.globalCohort]) {
      // over-fetch because seen items are dropped after the ranking
      for (const id of this.counter.top(cohort, req.nowMs, limit * 2 + 50)) {
        if (out.length >= limit) return out;
        if (req.seen(id) || taken.has(id)) continue;
        taken.add(id);
        out.push({ id, score: this.counter.score(cohort, id, req.nowMs), source: this.name });
      }
    }
    return out;
  }
}
