import t from "tap";
import { createRng, newSessionModel, rankRows, type FeedVideo } from "../../../models/index.ts";

t.test("rankRows - one row per id the catalog has, in order, with the similarity, affinity and quality of each (typed ids and a count too)", async (t) => {
  const rng = createRng(3);
  const dims = 13; // not a multiple of four: the unrolled dot products' tails are read too
  const videos = new Map<number, FeedVideo>();
  for (let id = 0; id < 300; id++) {
    if (id % 7 === 3) continue; // missing from the catalog
    const vector = Float32Array.from({ length: dims }, () => rng.next() - 0.5);
    videos.set(id, { id, category: id % 5, authorId: id % 11, durationMs: 1000 * (5 + (id % 50)), vector });
  }
  const session = newSessionModel({ dims, categories: 5, seenWindow: 50, recentMax: 10, shortRate: 0.3, longDecay: 0.99, discoveryPrior: 2 });
  for (let d = 0; d < dims; d++) session.short[d] = rng.next() - 0.5;
  session.shortWeight = 1;
  const affinity = [0.1, 0.3, 0.2, 0.25, 0.15];
  const quality = (id: number): number => 0.5 + id / 1000;
  let norm = 0;
  for (let d = 0; d < dims; d++) norm += session.short[d]! * session.short[d]!;
  norm = Math.sqrt(norm);
  for (let trial = 0; trial < 20; trial++) {
    const ids = Array.from({ length: rng.int(250) }, () => rng.int(320));
    const want = ids.filter((id) => videos.has(id)).map((id) => {
      const v = videos.get(id)!;
      let s = 0;
      for (let d = 0; d < dims; d++) s += session.short[d]! * v.vector[d]!;
      return { id, similarity: s / norm, affinity: affinity[v.category]!, quality: quality(id) };
    });
    const check = (rows: ReturnType<typeof rankRows>, what: string): void => {
      t.same(rows.map((r) => ({ id: r.video.id, similarity: r.similarity, affinity: r.affinity, quality: r.quality })), want, `trial ${trial} ${what}`);
    };
    check(rankRows(ids, (id) => videos.get(id), session, affinity, quality), "array");
    // typed ids with more room than the count, as the pipeline passes them
    const typed = new Float64Array(ids.length + 17).fill(5);
    typed.set(ids);
    check(rankRows(typed, (id) => videos.get(id), session, affinity, quality, ids.length), "typed with a count");
  }
});
