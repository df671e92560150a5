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
  const taken = new TakenIds();
  // each source's read position, in SOURCES order
  const cursor = SOURCES.map(() => 0);
  for (let s = 0; s < SOURCES.length; s++) take(lists, cursor, taken, out, total, s, Math.round((total * Math.max(0, quotas[SOURCES[s]!] ?? 0)) / sum));
  let progress = true;
  while (out.length < total && progress) {
    const before = out.length;
    for (let s = 0; s < SOURCES.length; s++) if ((quotas[SOURCES[s]!] ?? 0) > 0) take(lists, cursor, taken, out, total, s, 1);
    progress = out.length > before;
  }
  return out;
}

/**
 * Up to `want` untaken candidates of source `s` from its cursor on, into `out` (at most `total`). A
 * function of its own, not a closure per merge: tsx (esbuild's keepNames) wraps a named closure in
 * __name(), an Object.defineProperty per merge.
 */
function take(lists: Partial<Record<SourceName, Candidate[]>>, cursor: number[], taken: TakenIds, out: Candidate[], total: number, s: number, want: number): void {
  const list = lists[SOURCES[s]!];
  if (list === undefined) return;
  let i = cursor[s]!;
  for (; i < list.length && want > 0 && out.length < total; i++) {
    const c = list[i]!;
    if (!taken.add(c.id)) continue;
    out.push(c);
    want--;
  }
  cursor[s] = i;
}

/** Ids below this are marked in a flat array (the catalog's dense video numbers); others in a set. */
const DENSE_IDS = 1 << 24;

/**
 * The ids one merge has taken: a stamp per dense id (a new stamp per merge, so nothing is cleared), a set
 * for the rest. A merge runs synchronously, so one shared stamp array serves every merge.
 */
class TakenIds {
  private static marks = new Int32Array(1024);
  private static stamp = 0;
  private readonly other = new Set<number>();
  private readonly stamp: number;

  constructor() {
    if (++TakenIds.stamp === 0x7fffffff) {
      TakenIds.marks.fill(0);
      TakenIds.stamp = 1;
    }
    this.stamp = TakenIds.stamp;
  }

  /** Adds `id`; false when it was taken already. */
  add(id: number): boolean {
    if (id >= 0 && id < DENSE_IDS && Number.isInteger(id)) {
      let marks = TakenIds.marks;
      if (id >= marks.length) {
        const grown = new Int32Array(Math.min(DENSE_IDS, Math.max(id + 1, marks.length * 2)));
        grown.set(marks);
        TakenIds.marks = marks = grown;
      }
      if (marks[id] === this.stamp) return false;
      marks[id] = this.stamp;
      return true;
    }
    if (this.other.has(id)) return false;
    this.other.add(id);
    return true;
  }
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
