import t from "tap";
import {
  createFunctionSession, createRng, feedFeatureWidth, HEADS, loadTraining, newSessionModel, openOnnxSession, OnnxFeedRanker, writeFeedFeatures,
  type Feeds, type FeedVideo, type RankContext, type RankRow, type SessionFactory,
} from "../../../models/index.ts";

const DIMS = 4;
/** float32 outputs against decimal constants */
const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;
const W = feedFeatureWidth(DIMS);

function rows(n: number): RankRow[] {
  const rng = createRng(9);
  return Array.from({ length: n }, (_, i) => {
    const v = Float32Array.from({ length: DIMS }, () => rng.normal());
    const video: FeedVideo = { id: i, category: i % 3, authorId: i, durationMs: 10_000 + 1000 * i, vector: v };
    return { video, similarity: rng.next(), affinity: rng.next() * 0.5, quality: 0.5 };
  });
}

function ctx(): RankContext {
  const session = newSessionModel({ dims: DIMS, categories: 3, seenWindow: 10, recentMax: 5, shortRate: 0.3, longDecay: 0.99, discoveryPrior: 2 });
  session.short = [0.5, -0.5, 0.5, 0.1];
  session.shortWeight = 1;
  return { session, nowMs: 1000, depth: 2 };
}

/**
 * Function "models" keyed by their bytes' first byte: every head outputs `byte / 100`; a model with first
 * byte 255 expects a wrong width. Runs of models in `gated` wait until the test opens the gate.
 */
function factory(gates: Map<number, Promise<void>>, released: number[]): SessionFactory {
  return async (model) => {
    const b = (model as Uint8Array)[0]!;
    return createFunctionSession({
      inputNames: ["features"],
      outputNames: [...HEADS],
      run: async (feeds: Feeds) => {
        const f = feeds.features!;
        const want = b === 255 ? W + 1 : W;
        if (f.dims[1] !== want) throw new Error(`expected width ${want}, got ${f.dims[1]}`);
        await gates.get(b);
        const n = f.dims[0]!;
        const out: Feeds = {};
        for (const h of HEADS) out[h] = { data: new Float32Array(n).fill(b / 100), dims: [n, 1] };
        return out;
      },
      onRelease: () => released.push(b),
    });
  };
}

t.test("hot swap - in-flight requests finish on the old model, new ones use the new one, old released after", async (t) => {
  let open!: () => void;
  const gates = new Map<number, Promise<void>>();
  const released: number[] = [];
  const r = await OnnxFeedRanker.open(Uint8Array.of(10), "v1", { dims: DIMS, openSession: factory(gates, released), watchRatioCap: 2 });
  t.equal(r.currentVersion, "v1");
  // v1's runs now wait on a gate: a request is in flight on v1 while we swap
  gates.set(10, new Promise<void>((res) => (open = res)));
  const inflight = r.predict(rows(3), ctx());
  await new Promise<void>((res) => setImmediate(res)); // the batch starts at the end of the tick
  await r.swap(Uint8Array.of(40), "v2");
  t.equal(r.currentVersion, "v2", "the swap completes while v1 still has a request in flight");
  t.same(released, [], "v1 is not released while its request runs");
  const after = await r.predict(rows(2), ctx());
  t.ok(near(after[0]!.complete, 0.4), "a request after the swap is scored by v2");
  t.ok(near(after[0]!.watchRatio, 0.8), "watch ratio is the head times the cap");
  t.equal(r.version, "v2");
  open();
  const before = await inflight;
  t.equal(before.length, 3);
  t.ok(near(before[0]!.complete, 0.1), "the in-flight request finished on v1");
  await new Promise<void>((res) => setImmediate(res));
  t.same(released, [10], "v1 released once its last batch finished");
  await r.close();
  t.same(released, [10, 40]);
});

t.test("hot swap - a model that fails the check is rejected and the old one keeps serving", async (t) => {
  const released: number[] = [];
  const r = await OnnxFeedRanker.open(Uint8Array.of(20), "good", { dims: DIMS, openSession: factory(new Map(), released), watchRatioCap: 2 });
  await t.rejects(r.swap(Uint8Array.of(255), "wrong-width"), /probe row of width/);
  t.same(released, [255], "the rejected model's session is released");
  t.equal(r.currentVersion, "good");
  const p = await r.predict(rows(1), ctx());
  t.ok(near(p[0]!.complete, 0.2));
  // swaps apply in call order: the last one wins
  await Promise.all([r.swap(Uint8Array.of(30), "a"), r.swap(Uint8Array.of(50), "b")]);
  t.equal(r.currentVersion, "b");
  await r.close();
});

t.test("a ranker built while its model loads queues requests until it is ready", async (t) => {
  const r = OnnxFeedRanker.loading(Uint8Array.of(60), "late", { dims: DIMS, openSession: factory(new Map(), []), watchRatioCap: 1 });
  const p = await r.predict(rows(4), ctx());
  t.equal(p.length, 4);
  t.ok(near(p[3]!.skipFast, 0.6));
  t.equal(r.version, "late");
  await r.close();
});

t.test("real ONNX - the exported multi-task network served in the feed matches tfjs on the same feature rows", async (t) => {
  const T = await loadTraining();
  await T.initTf();
  const model = T.buildRankerNetwork({ width: W, hidden: [16], tower: 4, heads: HEADS, seed: 3 });
  const bytes = T.exportLayersModel(model, { name: "ranker" });
  const r = await OnnxFeedRanker.open(bytes, "onnx-v", { dims: DIMS, openSession: openOnnxSession, watchRatioCap: 2 });
  const rs = rows(7);
  const c = ctx();
  const [a, b] = await Promise.all([r.predict(rs, c), r.predict(rs.slice(0, 2), c)]);
  t.equal(r.stats.batches, 1, "two sessions' requests in one tick run as one batch");
  // reference: the same rows through tfjs
  const x = new Float32Array(rs.length * W);
  writeFeedFeatures(x, rs, c, DIMS);
  const ref = T.predictArrays(model, x, W);
  let max = 0;
  for (let i = 0; i < rs.length; i++) {
    max = Math.max(max, Math.abs(a[i]!.watchRatio - 2 * ref[0]![i]!), Math.abs(a[i]!.complete - ref[1]![i]!), Math.abs(a[i]!.skipFast - ref[4]![i]!));
  }
  t.ok(max < 1e-5, `max abs diff ${max}`);
  t.same(b, a.slice(0, 2), "batched rows come back to their own caller");
  model.dispose();
  await r.close();
});
