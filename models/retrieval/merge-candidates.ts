import { SOURCES, type Candidate, type CandidateRequest, type CandidateSource, type SourceName } from "./candidate-source.ts";

/** Share of the merged list per source; need not sum to 1 (normalised), absent sources get none. */
export type SourceQuotas = Partial<Record<SourceName, number>>;

/**
 * Merges per-source lists under quotas: each source first fills its share (skipping items already taken, in
 * SOURCES priority order), then the slots a short source left are filled round-robin from the others' leftovers.
 */
export function mergeCandidates(lists: Partial<Record<SourceName, Candidate[]>>, quotas: SourceQuotas, total: number): Candidate[] {
  const sum = SOURCES.reduce((s, n) => s + Math.max(0, quotas[n] ?? 0), 0);
  if (sum <= 0 || total <= 0) return [];
  const out: Candidate[] = [];
  const taken = new Set<number>();
  const cursor = new Map<SourceName, number>();
  const take = (name: SourceName, want: number): void => {
    const list = lists[name] ?? [];
    let i = cursor.get(name) ?? 0;
    for (; i < list.length && want > 0 && out.length < total; i++) {
      const c = list[i]!;
      if (taken.has(c.id)) continue;
      taken.add(c.id);
      out.push(c);
      want--;
    }
    cursor.set(name, i);
  };
  for (const name of SOURCES) take(name, Math.round((total * Math.max(0, quotas[name] ?? 0)) / sum));
  let progress = true;
  while (out.length < total && progress) {
    const before = out.length;
    for (const name of SOURCES) if ((quotas[name] ?? 0) > 0) take(name, 1);
    progress = out.length > before;
  }
  return out;
}

/** Asks every source for its quota (with head-room for duplicates) and merges. */
export class CandidateGenerator {
  constructor(private readonly sources: readonly CandidateSource[], private readonly quotas: SourceQuotas, private readonly overFetch = 1.5) {}

  generate(req: CandidateRequest, total: number): Candidate[] {
    const sum = SOURCES.reduce((s, n) => s + Math.max(0, this.quotas[n] ?? 0), 0);
    const lists: Partial<Record<SourceName, Candidate[]>> = {};
    for (const src of this.sources) {
      const share = Math.max(0, this.quotas[src.name] ?? 0) / (sum || 1);
      if (share <= 0) continue;
      // a source may have to fill others' unused slots, so ask for more than its share
      lists[src.name] = src.candidates(req, Math.ceil(total * Math.min(1, share * this.overFetch + 0.25)));
    }
    return mergeCandidates(lists, this.quotas, total);
  }
}
