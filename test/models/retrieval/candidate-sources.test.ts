import t from "tap";
import {
  BruteForceIndex, CandidateGenerator, CoEngagementIndex, CollaborativeSource, ColdStartSource, ContentSource, createRng,
  ExplorationSource, ExposurePool, mergeCandidates, SOURCES, TrendingCounter, TrendingSource, type Candidate, type CandidateRequest,
} from "../../../models/index.ts";

const HOUR = 3_600_000;

function request(over: Partial<CandidateRequest> = {}): CandidateRequest {
  return { cohort: "c1", nowMs: 0, interests: [], recent: [], seen: () => false, seenCategories: new Set(), ...over };
}

t.test("content source - each interest retrieves its neighbourhood, weighted, seen items excluded", async (t) => {
  const index = new BruteForceIndex(2);
  // items 0-9 point along x, 10-19 along y
  for (let i = 0; i < 10; i++) index.add(i, [1, i * 0.01]);
  for (let i = 10; i < 20; i++) index.add(i, [(i - 10) * 0.01, 1]);
  const src = new ContentSource(index);
  const out = src.candidates(request({ interests: [{ vector: [1, 0], weight: 3 }, { vector: [0, 1], weight: 1 }], seen: (id) => id === 0 }), 8);
  t.equal(out.length, 8);
  t.notOk(out.some((c) => c.id === 0), "seen item excluded");
  t.equal(out.filter((c) => c.id < 10).length, 6, "the heavier interest gets ~3/4 of the slots");
  t.equal(out[0]!.id, 1, "best first");
  t.same(src.candidates(request(), 8), [], "no interests, no content candidates");
});

t.test("collaborative source - co-engaged items of recent seeds, normalised against popularity", async (t) => {
  const co = new CoEngagementIndex({ window: 3, maxNeighbors: 50 });
  for (let u = 0; u < 20; u++) co.addSequence([1, 2, 99]); // 1 and 2 go together; 99 is watched by everyone
  for (let u = 0; u < 60; u++) co.addSequence([99, 50 + (u % 10)]);
  const n1 = co.neighbors(1);
  t.equal(n1[0]![0], 2, "2 is 1's closest neighbour");
  t.ok(n1[0]![1] > n1.find(([j]) => j === 99)![1], "the blockbuster scores lower despite equal co-counts");
  const src = new CollaborativeSource(co);
  const out = src.candidates(request({ recent: [1], seen: (id) => id === 2 }), 5);
  t.notOk(out.some((c) => c.id === 2 || c.id === 1));
  t.equal(out[0]?.id, 99);
});

t.test("trending - decays with the half-life and ranks per cohort", async (t) => {
  const tc = new TrendingCounter(HOUR, 0);
  tc.record("c1", 1, 10, 0);
  tc.record("c1", 2, 6, 2 * HOUR);
  t.ok(Math.abs(tc.score("c1", 1, 2 * HOUR) - 2.5) < 1e-9, "two half-lives quarter the score");
  t.same(tc.top("c1", 2 * HOUR, 2), [2, 1], "a fresher, smaller burst beats an old one");
  tc.record("c2", 3, 1, 2 * HOUR);
  t.same(tc.top("c2", 2 * HOUR, 5), [3], "cohorts are separate");
  // far in the future the factors are rebased instead of overflowing
  tc.record("c1", 4, 1, 600 * HOUR);
  t.ok(Number.isFinite(tc.score("c1", 4, 600 * HOUR)) && Math.abs(tc.score("c1", 4, 600 * HOUR) - 1) < 1e-9);
  t.equal(tc.top("c1", 600 * HOUR, 1)[0], 4);
  const src = new TrendingSource(tc, "c2");
  const out = src.candidates(request({ cohort: "c1", nowMs: 600 * HOUR, seen: (id) => id === 2 }), 10);
  t.same(out.map((c) => c.id), [4, 1, 3], "cohort first, then the global fallback, seen removed");
});

t.test("cold start - the least-shown new videos first, until their budget is spent", async (t) => {
  const pool = new ExposurePool(2);
  pool.add("c1", 10, 0);
  pool.add("c1", 11, 1);
  pool.add("c1", 12, 2);
  pool.recordImpression("c1", 10);
  const src = new ColdStartSource(pool);
  t.same(src.candidates(request(), 3).map((c) => c.id), [11, 12, 10]);
  pool.recordImpression("c1", 10);
  t.equal(pool.size("c1"), 2, "budget spent -> left the pool");
  t.same(src.candidates(request({ seen: (id) => id === 11 }), 3).map((c) => c.id), [12]);
  t.same(src.candidates(request({ cohort: "other" }), 3), []);
});

t.test("exploration - uniform over videos, not the same best few; unseen categories boosted; never a seen video", async (t) => {
  // category 1 has 1,000 videos, category 2 ten, category 3 two: a top-N per category would hand the two
  // videos of category 3 to every explorer
  const items = new Map<number, number[]>([[1, range(1000, 1000)], [2, range(2000, 10)], [3, range(3000, 2)]]);
  const catalog = { categories: () => [1, 2, 3], categoryItems: (c: number) => items.get(c) ?? [] };
  const src = new ExplorationSource(catalog, createRng(1), 3);
  const count = new Map<number, number>();
  const byCat = [0, 0, 0, 0];
  for (let r = 0; r < 200; r++) {
    const out = src.candidates(request({ seenCategories: new Set([1]), seen: (id) => id === 1000 }), 10);
    t.equal(new Set(out.map((c) => c.id)).size, out.length, "no duplicates within a request");
    for (const c of out) {
      count.set(c.id, (count.get(c.id) ?? 0) + 1);
      byCat[Math.floor(c.id / 1000)]!++;
    }
  }
  t.notOk(count.has(1000), "a seen video is never offered");
  const total = byCat[1]! + byCat[2]! + byCat[3]!;
  t.equal(total, 2000);
  // weights 1000 x 1 (engaged), 10 x 3, 2 x 3 (unseen): category 3 gets ~0.6% of draws, not 2 of every 10 slots
  t.ok(byCat[3]! < total * 0.02, `the 2-video category got ${byCat[3]} of ${total} draws`);
  t.ok(byCat[2]! > total * 0.01 && byCat[2]! < total * 0.06, `the 10-video unseen category got ${byCat[2]} (boosted x3: ~2.9%)`);
  t.ok(Math.max(...count.values()) < 40, `no video dominates (max ${Math.max(...count.values())} of 200 requests)`);
  t.ok(count.size > 700, `${count.size} distinct videos explored`);
  t.same(src.candidates(request(), 0), [], "limit 0, nothing");
});

t.test("exploration - the draws of a set-based reference, ids past the dense range and repeats included", async (t) => {
  // small categories force repeated draws (the set of taken ids decides), one with ids no flat array holds
  const items = new Map<number, number[]>([[0, range(5, 4)], [1, [2 ** 30, 2 ** 40, 7.5, -3]], [2, range(100, 40)]]);
  const catalog = { categories: () => [0, 1, 2], categoryItems: (c: number) => items.get(c) ?? [] };
  const reference = (rng: ReturnType<typeof createRng>, seenCats: ReadonlySet<number>, seen: (id: number) => boolean, limit: number): number[] => {
    const cats = catalog.categories();
    const cum: number[] = [];
    let total = 0;
    for (const c of cats) cum.push((total += catalog.categoryItems(c).length * (seenCats.has(c) ? 1 : 3)));
    const out: number[] = [];
    const taken = new Set<number>();
    for (let tries = 0; out.length < limit && tries < limit * 4; tries++) {
      const x = rng.next() * total;
      const at = cum.findIndex((v) => v > x);
      const list = catalog.categoryItems(cats[at]!);
      const id = list[rng.int(list.length)]!;
      if (taken.has(id) || seen(id)) continue;
      taken.add(id);
      out.push(id);
    }
    return out;
  };
  const src = new ExplorationSource(catalog, createRng(9), 3);
  const ref = createRng(9);
  let drawn = 0;
  for (let r = 0; r < 300; r++) {
    const seenCats = new Set(r % 2 === 0 ? [2] : []);
    const seen = (id: number): boolean => id === 6 || id === 2 ** 40 || id === 100 + (r % 40);
    const limit = 1 + (r % 30);
    const want = reference(ref, seenCats, seen, limit);
    const got = src.candidates(request({ seenCategories: seenCats, seen }), limit);
    t.same(got.map((c) => c.id), want, `request ${r}`);
    t.same(got.map((c) => c.score), want.map((_, i) => -i));
    drawn += got.length;
  }
  t.ok(drawn > 3000, `${drawn} drawn`);
});

function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

t.test("merge - quotas, de-duplication and redistribution of a short source's slots", async (t) => {
  const list = (source: Candidate["source"], ids: number[]): Candidate[] => ids.map((id, i) => ({ id, score: -i, source }));
  const merged = mergeCandidates(
    { content: list("content", [1, 2, 3, 4, 5, 6, 7, 8]), trending: list("trending", [1, 20, 21, 22, 23, 24]), coldStart: list("coldStart", [30]) },
    { content: 0.5, trending: 0.3, coldStart: 0.2 },
    10,
  );
  t.equal(merged.length, 10);
  t.equal(new Set(merged.map((c) => c.id)).size, 10, "no duplicates");
  t.equal(merged.find((c) => c.id === 1)?.source, "content", "a shared item is credited to the higher-priority source");
  t.same(merged.slice(0, 5).map((c) => c.id), [1, 2, 3, 4, 5], "content fills its 5 slots first");
  t.same(merged.filter((c) => c.source === "trending").slice(0, 3).map((c) => c.id), [20, 21, 22], "trending its 3");
  t.ok(merged.some((c) => c.id === 30), "cold start got in");
  t.equal(merged.filter((c) => c.source !== "coldStart").length, 9, "cold start's unused slot went to the others");
  t.same(mergeCandidates({ content: list("content", [1]) }, {}, 5), [], "no quotas, nothing");
});

t.test("candidate generator - all sources, merged within the total", async (t) => {
  const index = new BruteForceIndex(2);
  for (let i = 0; i < 50; i++) index.add(i, [Math.cos(i), Math.sin(i)]);
  const tc = new TrendingCounter(HOUR, 0);
  for (let i = 40; i < 60; i++) tc.record("c1", i, 60 - i, 0);
  const pool = new ExposurePool(10);
  pool.add("c1", 100, 0);
  const gen = new CandidateGenerator([new ContentSource(index), new TrendingSource(tc), new ColdStartSource(pool)], { content: 0.5, trending: 0.4, coldStart: 0.1 });
  const out = gen.generate(request({ interests: [{ vector: [1, 0], weight: 1 }] }), 20);
  t.equal(out.length, 20);
  t.equal(new Set(out.map((c) => c.id)).size, 20);
  t.same(new Set(out.map((c) => c.source)), new Set(["content", "trending", "coldStart"]));
});

t.test("mergeCandidates - the same merge as taking from each list with a set of the ids taken", async (t) => {
  // the set-based merge this one replaced, as the oracle
  const oracle = (lists: Partial<Record<(typeof SOURCES)[number], Candidate[]>>, quotas: Partial<Record<(typeof SOURCES)[number], number>>, total: number): Candidate[] => {
    const sum = SOURCES.reduce((s, n) => s + Math.max(0, quotas[n] ?? 0), 0);
    if (sum <= 0 || total <= 0) return [];
    const out: Candidate[] = [];
    const taken = new Set<number>();
    const cursor = new Map<string, number>();
    const take = (name: (typeof SOURCES)[number], want: number): void => {
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
  };
  const rng = createRng(44);
  for (let trial = 0; trial < 300; trial++) {
    const lists: Partial<Record<(typeof SOURCES)[number], Candidate[]>> = {};
    const quotas: Partial<Record<(typeof SOURCES)[number], number>> = {};
    for (const name of SOURCES) {
      if (rng.next() < 0.8) lists[name] = Array.from({ length: rng.int(120) }, (_, i) => ({ id: rng.next() < 0.05 ? 2 ** 25 + rng.int(20) : rng.int(400), score: -i, source: name }));
      if (rng.next() < 0.85) quotas[name] = rng.next() < 0.1 ? 0 : rng.next();
    }
    const total = rng.int(250);
    const want = oracle(lists, quotas, total);
    const got = mergeCandidates(lists, quotas, total);
    if (got.length !== want.length || got.some((c, i) => c !== want[i])) {
      t.same(got, want, `trial ${trial}`);
      return;
    }
  }
  t.pass("300 random merges (repeats within and across lists, ids past the dense range, missing lists and quotas) identical");
});
