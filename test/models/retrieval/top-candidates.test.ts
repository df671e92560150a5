import t from "tap";
import { ContentSource, createRng, type AnnIndex, type CandidateRequest } from "../../../models/index.ts";

t.test("content source - its top-k selection gives the list of sorting every entry (score desc, id asc) and slicing", async (t) => {
  const rng = createRng(5);
  let found: { id: number; score: number }[] = [];
  const index = { dim: 2, size: 1e6, search: () => found, add() {}, remove() {}, has: () => true } as unknown as AnnIndex;
  const src = new ContentSource(index);
  for (let trial = 0; trial < 200; trial++) {
    const n = rng.int(400);
    // coarse scores make ties common; ids in random order, some repeated (the best score counts)
    found = Array.from({ length: n }, () => ({ id: rng.int(5000), score: trial % 2 === 0 ? Math.round(rng.next() * 20) / 20 : rng.next() - 0.5 }));
    if (trial % 50 === 7) found.push({ id: 99_999, score: Number.NaN });
    const best = new Map<number, number>();
    for (const f of found) if (f.score > (best.get(f.id) ?? -Infinity)) best.set(f.id, f.score);
    const limit = 1 + rng.int(300);
    const want = [...best].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit).map(([id, score]) => ({ id, score, source: "content" }));
    const req: CandidateRequest = { cohort: "c0", nowMs: 0, interests: [{ vector: [1, 0], weight: 1 }], recent: [], seen: () => false, seenCategories: new Set() };
    const got = src.candidates(req, limit);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.same(got, want, `trial ${trial}`);
      return;
    }
  }
  t.pass("200 random neighbour lists (ties, repeats, NaN) give identical candidate lists");
});
