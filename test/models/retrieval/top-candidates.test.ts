import t from "tap";
import { ContentSource, createRng, type AnnIndex, type CandidateRequest } from "../../../models/index.ts";

/** A content source over an index that answers every search with `found` (set by the caller per trial). */
function stubbedSource(): { src: ContentSource; answer(list: { id: number; score: number }[]): void } {
  let found: { id: number; score: number }[] = [];
  const index = { dim: 2, size: 1e6, search: () => found, add() {}, remove() {}, has: () => true } as unknown as AnnIndex;
  return { src: new ContentSource(index), answer: (list) => (found = list) };
}

/** What sorting every entry gives: each id at its best score, score descending then id ascending, cut at `limit`. */
function bySort(found: readonly { id: number; score: number }[], limit: number): { id: number; score: number; source: string }[] {
  const best = new Map<number, number>();
  for (const f of found) if (f.score > (best.get(f.id) ?? -Infinity)) best.set(f.id, f.score);
  return [...best].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit).map(([id, score]) => ({ id, score, source: "content" }));
}

t.test("content source - its top-k selection gives the list of sorting every entry (score desc, id asc) and slicing", async (t) => {
  const rng = createRng(5);
  const { src, answer } = stubbedSource();
  for (let trial = 0; trial < 200; trial++) {
    const n = rng.int(400);
    // coarse scores make ties common; ids in random order, some repeated (the best score counts)
    const found = Array.from({ length: n }, () => ({ id: rng.int(5000), score: trial % 2 === 0 ? Math.round(rng.next() * 20) / 20 : rng.next() - 0.5 }));
    if (trial % 50 === 7) found.push({ id: 99_999, score: Number.NaN });
    answer(found);
    const limit = 1 + rng.int(300);
    const want = bySort(found, limit);
    const req: CandidateRequest = { cohort: "c0", nowMs: 0, interests: [{ vector: [1, 0], weight: 1 }], recent: [], seen: () => false, seenCategories: new Set() };
    const got = src.candidates(req, limit);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.same(got, want, `trial ${trial}`);
      return;
    }
  }
  t.pass("200 random neighbour lists (ties, repeats, NaN) give identical candidate lists");
});

t.test("content source - a neighbour list already best first is taken as it is, and the same candidates as the sort otherwise", async (t) => {
  const rng = createRng(17);
  const { src, answer } = stubbedSource();
  for (let trial = 0; trial < 400; trial++) {
    const n = 1 + rng.int(200);
    const ids = new Set<number>();
    while (ids.size < n) ids.add(rng.int(3000));
    // coarse scores give ties (ordered by id, as an index returns equal distances by label)
    const found = [...ids].map((id) => ({ id, score: Math.round(rng.next() * 10) / 10 })).sort((a, b) => b.score - a.score || a.id - b.id);
    const kind = trial % 8;
    if (kind === 1) found.push({ ...found[0]! }); // a repeated id
    if (kind === 2 && n > 2) [found[0], found[1]] = [found[1]!, found[0]!]; // out of order
    if (kind === 3) found[n - 1] = { id: found[n - 1]!.id, score: Number.NaN };
    if (kind === 4) found[n - 1] = { id: found[n - 1]!.id, score: -Infinity };
    if (kind === 5) found[0] = { id: 2 ** 25 + 1, score: found[0]!.score }; // an id past the dense range
    answer(found);
    const limit = kind === 6 ? Math.max(1, n - 5) : n + rng.int(50);
    const want = bySort(found, limit);
    const req: CandidateRequest = { cohort: "c0", nowMs: 0, interests: [{ vector: [1, 0], weight: 1 }, { vector: [0, 1], weight: 0 }], recent: [], seen: () => false, seenCategories: new Set() };
    const got = src.candidates(req, limit);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.same(got, want, `trial ${trial} (kind ${kind})`);
      return;
    }
  }
  t.pass("400 lists (ordered, repeated, out of order, NaN, -Infinity, large ids, longer than the limit) give the sort's candidates");
});
