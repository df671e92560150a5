import t from "tap";
import { createRng, FeedPolicy, SeenWindow, type PolicyConfig, type PolicyItem, type Rng } from "../../../models/index.ts";

const config: PolicyConfig = { maxCategoryRun: 2, adjacentSimilarityMax: 0.95, authorCap: 2, categoryShareCap: 0.3, integrityDemotion: 0.2 };
const SEEN_WINDOW = 200;

function candidates(rng: Rng, n: number, nextId: () => number): PolicyItem[] {
  // skewed categories and authors, like a personalised candidate list, plus some duplicate ids
  return Array.from({ length: n }, () => {
    const category = Math.min(11, Math.floor(rng.exponential(2)));
    const vector = Float32Array.from({ length: 4 }, (_, i) => (i === category % 4 ? 1 : 0) + 0.1 * rng.normal());
    return { id: rng.next() < 0.05 ? rng.int(50) : nextId(), score: rng.normal(), category, author: rng.int(30), vector, reason: "similar to what you watched" };
  });
}

t.test("policy - over many seeded feeds: no repeat within the window, category run, author cap and share cap hold", async (t) => {
  const rng = createRng(21);
  const policy = new FeedPolicy(config);
  let next = 1000;
  const nextId = () => (rng.next() < 0.5 ? rng.int(400) : next++);
  let violations = 0, short = 0, feeds = 0;
  for (let user = 0; user < 30; user++) {
    const seen = new SeenWindow(SEEN_WINDOW);
    const history: number[] = [];
    for (let f = 0; f < 20; f++, feeds++) {
      const feed = policy.rerank(candidates(rng, 200, nextId), 20, { seen });
      if (feed.length < 20) short++;
      const recent = new Set(history.slice(-SEEN_WINDOW));
      const authors = new Map<number, number>(), cats = new Map<number, number>();
      let run = 0;
      feed.forEach((it, i) => {
        if (recent.has(it.id)) violations++;
        run = i > 0 && feed[i - 1]!.category === it.category ? run + 1 : 1;
        if (run > config.maxCategoryRun) violations++;
        authors.set(it.author, (authors.get(it.author) ?? 0) + 1);
        cats.set(it.category, (cats.get(it.category) ?? 0) + 1);
        recent.add(it.id);
        history.push(it.id);
        seen.add(it.id);
      });
      if ([...authors.values()].some((c) => c > config.authorCap)) violations++;
      if ([...cats.values()].some((c) => c > Math.floor(config.categoryShareCap * 20))) violations++;
    }
  }
  t.equal(violations, 0, `${feeds} feeds, no rule broken`);
  t.ok(short < feeds * 0.05, `feeds shorter than k: ${short}/${feeds}`);
});

t.test("policy - the over-personalization cap holds even when one category dominates the candidates", async (t) => {
  const rng = createRng(22);
  const items: PolicyItem[] = Array.from({ length: 300 }, (_, i) => ({ id: i, score: i < 250 ? 10 + rng.next() : rng.next(), category: i < 250 ? 0 : 1 + (i % 10), author: i, reason: "x" }));
  const feed = new FeedPolicy({ ...config, maxCategoryRun: 20, categoryShareCap: 0.25 }).rerank(items, 20);
  t.equal(feed.length, 20);
  t.equal(feed.filter((it) => it.category === 0).length, 5, "category 0 takes exactly its cap of 25%");
});

t.test("policy - integrity demotion sinks flagged videos and authors; reasons pass through", async (t) => {
  const items: PolicyItem[] = [
    { id: 1, score: 10, category: 0, author: 1, reason: "popular in your cohort" },
    { id: 2, score: 9, category: 1, author: 2, reason: "exploring" },
    { id: 3, score: 8, category: 2, author: 3, reason: "new video being tested" },
    { id: 4, score: -1, category: 3, author: 4, reason: "exploring" },
    { id: 5, score: -1.5, category: 4, author: 5, reason: "exploring" },
  ];
  const policy = new FeedPolicy({ ...config, integrityDemotion: 0.5 });
  const feed = policy.rerank(items, 5, { flaggedVideos: new Set([1]), flaggedAuthors: new Set([4]) });
  t.same(feed.map((i) => i.id), [2, 3, 1, 5, 4], "10→5 falls below 8; a negative flagged score falls further (−1→−2, below −1.5)");
  t.same(feed.map((i) => i.reason), ["exploring", "new video being tested", "popular in your cohort", "exploring", "exploring"]);
});

t.test("policy - adjacent near-duplicates are separated when an alternative exists", async (t) => {
  const v = [1, 0, 0];
  const items: PolicyItem[] = [
    { id: 1, score: 3, category: 0, author: 1, vector: v, reason: "" },
    { id: 2, score: 2, category: 1, author: 2, vector: [0.99, 0.01, 0], reason: "" },
    { id: 3, score: 1, category: 2, author: 3, vector: [0, 1, 0], reason: "" },
  ];
  t.same(new FeedPolicy(config).rerank(items, 3).map((i) => i.id), [1, 3, 2]);
  t.same(new FeedPolicy(config).rerank(items.slice(0, 2), 2).map((i) => i.id), [1, 2], "soft: relaxed when nothing else fits");
});

t.test("seen window - forgets exactly what left the window; state round-trips", async (t) => {
  const rng = createRng(23);
  const w = new SeenWindow(50);
  const ids: number[] = [];
  let wrong = 0;
  for (let n = 0; n < 5000; n++) {
    const id = rng.int(300);
    w.add(id);
    ids.push(id);
    if (n % 7 === 0) {
      const recent = new Set(ids.slice(-50));
      for (let q = 0; q < 300; q++) if (w.has(q) !== recent.has(q)) wrong++;
    }
  }
  t.equal(wrong, 0, "membership equals the last 50 ids exactly (repeats included)");
  const back = SeenWindow.fromState(JSON.parse(JSON.stringify(w.toState())));
  t.same(back.toState(), w.toState());
  for (let q = 0; q < 300; q++) if (back.has(q) !== w.has(q)) wrong++;
  t.equal(wrong, 0);
});

t.test("policy - rerankOrdered on a best-first list picks exactly what rerank picks", async (t) => {
  const rng = createRng(23);
  const policy = new FeedPolicy(config);
  let next = 1;
  let compared = 0;
  for (let f = 0; f < 200; f++) {
    const seen = new Set(Array.from({ length: 30 }, () => rng.int(300)));
    // duplicates and seen ids included; scores strictly decreasing along the list
    const items = candidates(rng, 120, () => (rng.next() < 0.3 ? rng.int(300) : next++)).map((it, i, all) => ({ ...it, score: all.length - i }));
    const k = 5 + rng.int(20);
    const want = policy.rerank(items, k, { seen }).map((i) => i.id);
    const got = policy.rerankOrdered(items, k, { seen }).map((i) => i.id);
    t.same(got, want, `feed ${f}`, { diagnostic: false });
    if (want.length > 0) compared++;
  }
  t.equal(compared, 200);
});
