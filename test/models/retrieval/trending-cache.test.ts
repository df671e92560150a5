import t from "tap";
import { createRng, TrendingCounter, TrendingSource } from "../../../models/index.ts";

const HOUR = 3_600_000;

t.test("trending - a cohort's top list is served from cache within the interval and refreshed after it", async (t) => {
  const tc = new TrendingCounter(HOUR, 1000);
  tc.record("c", 1, 5, 0);
  tc.record("c", 2, 3, 0);
  t.same(tc.top("c", 0, 10), [1, 2]);
  tc.record("c", 3, 100, 100);
  tc.record("c", 2, 10, 100);
  t.same(tc.top("c", 999, 10), [1, 2], "within refreshMs: the cached list, even for a cohort smaller than the limit");
  t.same(tc.top("c", 1000, 10), [3, 2, 1], "after refreshMs: new and grown items ranked");
  t.same(tc.top("c", 1000, 2), [3, 2]);
  t.same(tc.top("other", 1000, 5), [], "unknown cohort");
});

t.test("trending - the incremental refresh ranks exactly like a full sort of the stored values", async (t) => {
  const half = HOUR;
  const tc = new TrendingCounter(half, 0);
  const rng = createRng(21);
  // the stored values, computed the same way (w * 2^((t - t0) / halfLife), t0 = first record)
  const stored = new Map<string, Map<number, number>>();
  let now = 0;
  let checks = 0;
  for (let step = 0; step < 20_000; step++) {
    if (step > 0) now += rng.int(2000);
    const cohort = rng.next() < 0.8 ? "big" : "small";
    const item = cohort === "big" ? Math.floor(5000 * rng.next() ** 2) : rng.int(30);
    const w = 1 + rng.int(3);
    tc.record(cohort, item, w, now);
    let m = stored.get(cohort);
    if (m === undefined) stored.set(cohort, (m = new Map()));
    m.set(item, (m.get(item) ?? 0) + w * 2 ** (now / half));
    if (step % 97 === 0) {
      const limit = step % 3 === 0 ? 1500 : 60; // beyond the 1,000 cached ids now and then
      const want = [...m].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit).map(([id]) => id);
      t.same(tc.top(cohort, now, limit), want, `step ${step} ${cohort} top ${limit}`);
      checks++;
    }
  }
  t.ok(checks > 200);
});

t.test("trending - the incremental refresh ranks ids past the dense range, negative and fractional ids like a full sort", async (t) => {
  const tc = new TrendingCounter(HOUR, 0);
  const rng = createRng(23);
  const stored = new Map<number, number>();
  // a third of the items get ids outside the flat arrays (counted and merged through maps and sets)
  const idOf = (x: number): number => (x % 3 === 0 ? x : x % 3 === 1 ? 2 ** 25 + x : -x - 0.5);
  let now = 0;
  let checks = 0;
  for (let step = 0; step < 8000; step++) {
    if (step > 0) now += rng.int(2000);
    const item = idOf(Math.floor(3000 * rng.next() ** 2));
    const w = 1 + rng.int(3);
    tc.record("c", item, w, now);
    stored.set(item, (stored.get(item) ?? 0) + w * 2 ** (now / HOUR));
    if (step % 53 === 0) {
      const want = [...stored].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 80).map(([id]) => id);
      t.same(tc.top("c", now, 80), want, `step ${step}`);
      checks++;
    }
  }
  t.ok(checks > 100);
});

t.test("trending - a negative weight re-sorts the whole cohort", async (t) => {
  const tc = new TrendingCounter(HOUR, 0);
  for (let i = 0; i < 1200; i++) tc.record("c", i, 1 + (i % 7), 0);
  const before = tc.top("c", 0, 5);
  t.same(before, [6, 13, 20, 27, 34]);
  tc.record("c", 6, -6.5, 1);
  const after = tc.top("c", 1, 1100);
  t.same(after.slice(0, 4), [13, 20, 27, 34], "the demoted item left the head");
  t.equal(after.indexOf(6), -1, "and fell below the first 1,100 (score 0.5 < every other item's 1)");
  t.equal(tc.top("c", 1, 1200).at(-1), 6, "last of the whole cohort");
});

t.test("trending source - the cohort's list then the global one, seen and repeated ids skipped, as walking copies of both lists", async (t) => {
  const tc = new TrendingCounter(HOUR, 500);
  const src = new TrendingSource(tc, "*");
  const rng = createRng(33);
  let now = 0;
  let fromGlobal = 0;
  for (let step = 0; step < 3000; step++) {
    now += rng.int(300);
    const item = Math.floor(400 * rng.next() ** 2);
    tc.record(rng.next() < 0.5 ? "a" : "b", item, 1, now);
    tc.record("*", item, 1, now);
    if (step % 10 !== 0) continue;
    const cohort = ["a", "b", "*", "new"][rng.int(4)]!;
    const seen = new Set(Array.from({ length: rng.int(300) }, () => rng.int(400)));
    const limit = 1 + rng.int(120);
    // the reference: both lists copied, every id checked against everything taken
    const want: [number, number][] = [];
    const taken = new Set<number>();
    for (const c of cohort === "*" ? ["*"] : [cohort, "*"]) {
      for (const id of tc.top(c, now, limit * 2 + 50)) {
        if (want.length >= limit) break;
        if (seen.has(id) || taken.has(id)) continue;
        taken.add(id);
        want.push([id, tc.score(c, id, now)]);
        if (c === "*" && cohort !== "*") fromGlobal++;
      }
    }
    const got = src.candidates({ cohort, nowMs: now, interests: [], recent: [], seen: (id) => seen.has(id), seenCategories: new Set() }, limit);
    t.same(got.map((c) => [c.id, c.score]), want, `step ${step} cohort ${cohort}`);
  }
  t.ok(fromGlobal > 0, "some feeds reached the global list");
});
