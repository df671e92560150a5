import t from "tap";
import {
  CandidateGenerator, FeedPipeline, PriorRanker, applyWatch, createRng, newSessionModel, policySelector,
  type Candidate, type CandidateRequest, type FeedCatalog, type FeedVideo, type SessionModelParams,
} from "../../../models/index.ts";

const N = 400;
const DIMS = 8;
const videos: FeedVideo[] = Array.from({ length: N }, (_, id) => {
  const r = createRng(id + 1);
  const v = Float32Array.from({ length: DIMS }, () => r.normal());
  const norm = Math.hypot(...v);
  return { id, category: id % 10, authorId: id % 37, durationMs: 10_000 + (id % 7) * 5000, vector: v.map((x) => x / norm) };
});
const catalog = { size: N, numCategories: 10, dims: DIMS, get: (id: number) => videos[id], quality: () => 0.5 } as unknown as FeedCatalog;
const params: SessionModelParams = { dims: DIMS, categories: 10, seenWindow: 500, recentMax: 50, shortRate: 0.3, longDecay: 0.995, discoveryPrior: 2 };

/** A source that records every request: what it returns depends on the request's interest vector. */
function countingSource(): { calls: CandidateRequest[]; source: { name: "content"; candidates(req: CandidateRequest, limit: number): Candidate[] } } {
  const calls: CandidateRequest[] = [];
  return {
    calls,
    source: {
      name: "content",
      candidates(req, limit) {
        calls.push(req);
        const q = req.interests[0]?.vector;
        const scored = videos.filter((v) => !req.seen(v.id)).map((v) => ({ id: v.id, score: q === undefined ? -v.id : v.vector.reduce((s, x, i) => s + x * Number(q[i]), 0) }));
        scored.sort((a, b) => b.score - a.score || a.id - b.id);
        return scored.slice(0, limit).map((c) => ({ ...c, source: "content" as const }));
      },
    },
  };
}

function pipeline(reusePages: number | undefined) {
  const counting = countingSource();
  const p = new FeedPipeline({
    catalog,
    generator: new CandidateGenerator([counting.source], { content: 1 }),
    ranker: () => new PriorRanker(),
    weights: { watchTime: 0.4, complete: 0.2, rewatch: 0.15, continue: 0.15, skipFast: 0.05, fatigue: 0.05 },
    explorationMask: (n) => new Uint8Array(n),
    isFlagged: () => false,
    demotion: 0.1,
    candidates: 60,
    session: params,
    select: policySelector({ maxCategoryRun: 3, adjacentSimilarityMax: 0.99, authorCap: 3, categoryShareCap: 0.5, integrityDemotion: 0.1 }, new Set()),
    uniform: createRng(7),
    discoveryWeight: 1,
    coldStartPriority: 0.5,
    ...(reusePages === undefined ? {} : { reusePages }),
  });
  return { p, calls: counting.calls };
}

/** Serves `pages` pages to one session, watching every item fully; returns the served ids per page. */
async function serve(p: FeedPipeline, pages: number, cohort = "c0"): Promise<number[][]> {
  const s = newSessionModel(params);
  const out: number[][] = [];
  for (let k = 0; k < pages; k++) {
    const { items } = await p.feed(s, { count: 10, nowMs: k * 60_000, cohort });
    out.push(items.map((i) => i.videoId));
    for (const it of items) applyWatch(s, params, videos[it.videoId]!, 1, k * 60_000);
  }
  return out;
}

t.test("candidate reuse - off by default: one retrieval per page; reusePages=2: one per three pages, nothing served twice", async (t) => {
  const off = pipeline(undefined);
  const offPages = await serve(off.p, 6);
  t.equal(off.calls.length, 6, "absent = retrieve for every page");
  const zero = pipeline(0);
  t.same(await serve(zero.p, 6), offPages, "0 is the default: the same feeds");
  t.equal(zero.calls.length, 6);

  const on = pipeline(2);
  const onPages = await serve(on.p, 6);
  t.equal(on.calls.length, 2, "pages 1 and 4 retrieve; 2, 3, 5, 6 rank the kept candidates");
  const all = onPages.flat();
  t.equal(new Set(all).size, all.length, "no video served twice in the session");
  t.ok(onPages.every((pg) => pg.length === 10), "every page full");
  t.same(onPages[0], offPages[0], "the first page is the same");
  t.notSame(onPages.slice(1), offPages.slice(1), "later pages are ranked from older candidates: the knob changes feeds");
  // the reused candidates of page 2 are those retrieved for page 1 minus page 1's items, re-ranked with the new interest
  const firstRetrieval = on.calls[0]!;
  t.equal(firstRetrieval.interests.length, 0, "page 1 was retrieved before any watch");
});

t.test("candidate reuse - per session and per cohort", async (t) => {
  const on = pipeline(5);
  await serve(on.p, 2);
  await serve(on.p, 2);
  t.equal(on.calls.length, 2, "a second session retrieves for itself");
  const s = newSessionModel(params);
  await on.p.feed(s, { count: 10, nowMs: 0, cohort: "c0" });
  await on.p.feed(s, { count: 10, nowMs: 1, cohort: "c1" });
  t.equal(on.calls.length, 4, "a cohort change retrieves afresh");
});
