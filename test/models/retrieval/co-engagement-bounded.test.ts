import t from "tap";
import { CoEngagementIndex, CollaborativeSource, createRng, type CandidateRequest } from "../../../models/index.ts";

/** Exact counts kept by brute force next to the index, fed the same events. */
class BruteForce {
  readonly pairs = new Map<number, Map<number, number>>();
  readonly n = new Map<number, number>();
  constructor(private readonly window: number) {}
  engage(item: number, previous: readonly number[]): void {
    this.n.set(item, (this.n.get(item) ?? 0) + 1);
    for (let i = 0; i < Math.min(previous.length, this.window); i++) {
      const p = previous[i]!;
      if (p === item) continue;
      this.bump(item, p);
      this.bump(p, item);
    }
  }
  count(a: number, b: number): number {
    return this.pairs.get(a)?.get(b) ?? 0;
  }
  neighbors(item: number, k: number): [number, number][] {
    const ni = this.n.get(item) ?? 0;
    return [...(this.pairs.get(item) ?? [])]
      .map(([j, c]): [number, number] => [j, c / Math.sqrt(ni * (this.n.get(j) ?? 1))])
      .sort((x, y) => y[1] - x[1] || x[0] - y[0])
      .slice(0, k);
  }
  private bump(a: number, b: number): void {
    let m = this.pairs.get(a);
    if (m === undefined) this.pairs.set(a, (m = new Map()));
    m.set(b, (m.get(b) ?? 0) + 1);
  }
}

/**
 * The unbounded implementation this index replaced (full re-sort of every pair on each read of a touched
 * item), kept as the oracle: a list cached for item i is not refreshed when only a partner's popularity
 * n(j) moved, in both.
 */
class Unbounded {
  private readonly counts = new Map<number, Map<number, number>>();
  private readonly itemCount = new Map<number, number>();
  private readonly pruned = new Map<number, [number, number][]>();
  constructor(private readonly window: number, private readonly maxNeighbors: number) {}
  addEngagement(item: number, previous: readonly number[]): void {
    this.itemCount.set(item, (this.itemCount.get(item) ?? 0) + 1);
    this.pruned.delete(item);
    for (let i = 0; i < Math.min(previous.length, this.window); i++) {
      const p = previous[i]!;
      if (p === item) continue;
      this.bump(item, p);
      this.bump(p, item);
      this.pruned.delete(p);
    }
  }
  neighbors(item: number): [number, number][] {
    let list = this.pruned.get(item);
    if (list === undefined) {
      const ni = this.itemCount.get(item) ?? 0;
      list = [...(this.counts.get(item) ?? [])]
        .map(([j, c]): [number, number] => [j, c / Math.sqrt(ni * (this.itemCount.get(j) ?? 1))])
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, this.maxNeighbors);
      this.pruned.set(item, list);
    }
    return list;
  }
  private bump(a: number, b: number): void {
    let m = this.counts.get(a);
    if (m === undefined) this.counts.set(a, (m = new Map()));
    m.set(b, (m.get(b) ?? 0) + 1);
  }
}

/** Sessions of random engagements over `items` items with a skewed popularity; calls `each` per event. */
function stream(seed: number, sessions: number, length: number, pick: (r: ReturnType<typeof createRng>) => number, each: (item: number, previous: number[], step: number) => void): void {
  const rng = createRng(seed);
  let step = 0;
  for (let s = 0; s < sessions; s++) {
    const recent: number[] = [];
    for (let e = 0; e < length; e++) {
      const item = pick(rng);
      each(item, recent.slice(), step++);
      recent.unshift(item);
    }
  }
}

t.test("co-engagement - below the pair cap, every read equals the unbounded index; a refresh equals a brute-force recount", async (t) => {
  const co = new CoEngagementIndex({ window: 5, maxNeighbors: 10, maxPairs: 10_000 });
  const old = new Unbounded(5, 10);
  const bf = new BruteForce(5);
  let checked = 0;
  let mismatches = 0;
  stream(7, 150, 30, (r) => Math.floor(200 * r.next() ** 2), (item, previous, step) => {
    co.addEngagement(item, previous);
    old.addEngagement(item, previous);
    bf.engage(item, previous);
    // interleaved reads exercise the cached lists and their invalidation
    if (step % 7 === 0) {
      for (const probe of [item, ...previous.slice(0, 3), step % 200]) {
        checked++;
        if (JSON.stringify(co.neighbors(probe)) !== JSON.stringify(old.neighbors(probe))) mismatches++;
      }
    }
  });
  t.ok(checked > 2000, `${checked} reads checked`);
  t.equal(mismatches, 0, "every read matched the unbounded index");
  co.addSequence([]); // a batch load (here empty) refreshes every list
  for (let i = 0; i < 200; i++) t.same(co.neighbors(i), bf.neighbors(i, 10), `item ${i} at the end`);
});

t.test("co-engagement - pair tables stay within the cap and keep the strong neighbours", async (t) => {
  // 10 clusters of 5 core items that co-occur, mixed with 3,000 rarely seen noise items
  const co = new CoEngagementIndex({ window: 5, maxNeighbors: 4, maxPairs: 16 });
  const bf = new BruteForce(5);
  const rng = createRng(3);
  for (let s = 0; s < 400; s++) {
    const cluster = rng.int(10);
    const recent: number[] = [];
    for (let e = 0; e < 40; e++) {
      const item = rng.next() < 0.5 ? 1000 + rng.int(3000) : cluster * 5 + rng.int(5);
      co.addEngagement(item, recent);
      bf.engage(item, recent);
      recent.unshift(item);
    }
  }
  let maxSeen = 0;
  let overCounted = 0;
  for (const item of bf.pairs.keys()) {
    maxSeen = Math.max(maxSeen, co.pairCount(item));
    for (const [j, s] of co.neighbors(item)) {
      // an evicted partner restarts from zero, so a kept count can only be an under-count
      const exact = bf.count(item, j) / Math.sqrt((bf.n.get(item) ?? 0) * (bf.n.get(j) ?? 1));
      if (s > exact + 1e-12) overCounted++;
    }
  }
  t.ok(Math.max(...[...bf.pairs.values()].map((m) => m.size)) > 100, "without the cap, core items have hundreds of partners");
  t.ok(maxSeen <= 16, `largest pair table ${maxSeen} <= 16`);
  t.equal(overCounted, 0, "no neighbour scores above its exact value");
  for (let core = 0; core < 50; core++) {
    // counts lost to an eviction early on can swap two close mates, so the set is compared, and the scores
    const list = co.neighbors(core);
    const got = list.map(([j]) => j);
    t.same([...got].sort((a, b) => a - b), bf.neighbors(core, 4).map(([j]) => j).sort((a, b) => a - b), `core item ${core}: the same top neighbours as the exact recount`);
    t.ok(got.every((j) => Math.floor(j / 5) === Math.floor(core / 5)), `core item ${core}: its cluster mates`);
    const exact = new Map(bf.neighbors(core, 4));
    t.ok(list.every(([j, s]) => s >= 0.95 * exact.get(j)!), `core item ${core}: scores within 5% of the exact ones`);
  }
});

t.test("co-engagement - with refreshMs a touched list is rebuilt at most once per interval", async (t) => {
  const co = new CoEngagementIndex({ window: 3, maxNeighbors: 5, refreshMs: 1000 });
  co.addSequence([1, 2, 3]);
  const first = co.neighbors(1, 0);
  t.same(first.map(([j]) => j), [2, 3]);
  for (let i = 0; i < 5; i++) co.addEngagement(1, [9]);
  t.equal(co.neighbors(1, 500), first, "within the interval the built list is served as is");
  const fresh = co.neighbors(1, 1000);
  t.equal(fresh[0]![0], 9, "after the interval the new partner leads");
  t.same(co.neighbors(1), fresh, "a read without a clock sees the same up-to-date list");
  co.addSequence([1, 7, 1, 7, 1, 7, 1, 7, 1, 7, 1, 7]); // c(1, 7) = 20, n(7) = 6: 20 / sqrt(6) > 5 / sqrt(1)
  t.equal(co.neighbors(1, 1001)[0]![0], 7, "a batch load is seen on the next read even within the interval");
  t.same(co.neighbors(42, 0), [], "unknown item");
});

t.test("collaborative source - the same candidates as a full sort of the summed scores", async (t) => {
  const co = new CoEngagementIndex({ window: 5, maxNeighbors: 30 });
  stream(5, 300, 25, (r) => Math.floor(500 * r.next() ** 3), (item, previous) => co.addEngagement(item, previous));
  const src = new CollaborativeSource(co, 20, 0.9);
  const rng = createRng(9);
  for (let q = 0; q < 50; q++) {
    const recent = Array.from({ length: 25 }, () => Math.floor(500 * rng.next() ** 3));
    const seen = new Set(Array.from({ length: 20 }, () => rng.int(500)));
    const req: CandidateRequest = { cohort: "c", nowMs: 0, interests: [], recent, seen: (id) => seen.has(id), seenCategories: new Set() };
    const expect = new Map<number, number>();
    recent.slice(0, 20).forEach((seed, rank) => {
      for (const [j, s] of co.neighbors(seed)) if (!seen.has(j)) expect.set(j, (expect.get(j) ?? 0) + 0.9 ** rank * s);
    });
    const want = [...expect].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 40);
    t.same(src.candidates(req, 40).map((c) => [c.id, c.score]), want, `query ${q}`);
  }
});

t.test("collaborative source - ids past the dense range (uploads with large numbers) score as the dense ones do", async (t) => {
  // items from 40 on get ids above 2^24 (counted and accumulated in maps, the rest in flat arrays): the
  // candidates must be those of the same stream with the small ids, renamed (monotone, so ties keep their order)
  const big = (x: number): number => (x >= 40 ? x + 2 ** 25 : x);
  const small = new CoEngagementIndex({ window: 5, maxNeighbors: 30 });
  const mixed = new CoEngagementIndex({ window: 5, maxNeighbors: 30 });
  stream(11, 200, 25, (r) => Math.floor(400 * r.next() ** 3), (item, previous) => {
    small.addEngagement(item, previous);
    mixed.addEngagement(big(item), previous.map(big));
  });
  const a = new CollaborativeSource(small, 20, 0.9);
  const b = new CollaborativeSource(mixed, 20, 0.9);
  const rng = createRng(12);
  let nonEmpty = 0;
  for (let q = 0; q < 30; q++) {
    const recent = Array.from({ length: 25 }, () => Math.floor(400 * rng.next() ** 3));
    const seen = new Set(Array.from({ length: 20 }, () => rng.int(400)));
    const req = (map: (x: number) => number): CandidateRequest => {
      const s = new Set([...seen].map(map));
      return { cohort: "c", nowMs: 0, interests: [], recent: recent.map(map), seen: (id) => s.has(id), seenCategories: new Set() };
    };
    const want = a.candidates(req((x) => x), 40).map((c) => [big(c.id), c.score]);
    if (want.length > 0) nonEmpty++;
    t.same(b.candidates(req(big), 40).map((c) => [c.id, c.score]), want, `query ${q}`);
  }
  t.ok(nonEmpty > 20, "the queries found candidates");
});

t.test("current - the kept neighbours and scores of neighbors(), unordered, for rows under and over maxNeighbors partners", async (t) => {
  const co = new CoEngagementIndex({ window: 5, maxNeighbors: 12 });
  stream(21, 200, 25, (r) => Math.floor(2000 * r.next() ** 3), (item, previous) => co.addEngagement(item, previous));
  let under = 0, over = 0;
  for (let item = 0; item < 2000; item++) {
    const row = co.current(item, 0);
    if (row === undefined) continue;
    if (co.pairCount(item) > 12) over++;
    else under++;
    const got: [number, number][] = [];
    for (let r = 0; r < row.len; r++) got.push([row.ids[r]!, row.scores[r]!]);
    const list = co.neighbors(item, 0);
    t.same(got.sort((a, b) => b[1] - a[1] || a[0] - b[0]), list, `item ${item}: the same set`);
  }
  t.ok(under > 20 && over > 20, `both kinds of row (${under} under, ${over} over)`);
});

t.test("co-engagement - partners past the hashed range (fractional, >= 2^31, negative) count as dense ones do, through pruning", async (t) => {
  // The same engagements under order-preserving renamings that send some or all partners past the typed
  // table (to the per-row map): every list, pair count and score must be the renamed dense one.
  const names: [string, (x: number) => number][] = [
    ["dense", (x) => x],
    ["fractional", (x) => x + 0.5],
    ["past 2^31", (x) => x + 2 ** 31],
    ["mixed", (x) => (x < 150 ? x : x + 2 ** 31)],
    ["negative", (x) => x - 1000],
  ];
  const indexes = names.map(() => new CoEngagementIndex({ window: 5, maxNeighbors: 6, maxPairs: 24 }));
  const rng = createRng(11);
  const partners = new Map<number, Set<number>>();
  for (let s = 0; s < 300; s++) {
    const recent: number[][] = names.map(() => []);
    for (let e = 0; e < 30; e++) {
      const item = rng.next() < 0.6 ? rng.int(20) : 20 + rng.int(280);
      for (const p of recent[0]!.slice(0, 5)) {
        if (p === item) continue;
        if (!partners.has(item)) partners.set(item, new Set());
        partners.get(item)!.add(p);
      }
      names.forEach(([, f], k) => {
        indexes[k]!.addEngagement(f(item), recent[k]!);
        recent[k]!.unshift(f(item));
      });
    }
  }
  t.ok((partners.get(0)?.size ?? 0) > 48 && indexes[0]!.pairCount(0) <= 24, "hot items' tables were pruned (more partners than the cap)");
  let compared = 0;
  for (let x = 0; x < 300; x++) {
    const want = indexes[0]!.neighbors(x);
    for (let k = 1; k < names.length; k++) {
      const [name, f] = names[k]!;
      const got = indexes[k]!.neighbors(f(x));
      t.equal(indexes[k]!.pairCount(f(x)), indexes[0]!.pairCount(x), `${name} ${x}: pair count`);
      if (!(got.length === want.length && got.every(([j, sc], i) => j === f(want[i]![0]) && sc === want[i]![1]))) t.fail(`${name} ${x}: neighbours differ`);
      compared++;
    }
  }
  t.equal(compared, 1200);
});
