import t from "tap";
import {
  createFunctionSession, createRng, EngagementHistory, InterestSpace, LongTermInterest, MidTermEncoder, ModelService, Projection,
  updateShortTerm, midStepDim, type BatchInfo,
} from "../../../models/index.ts";

t.test("short-term - the EMA moves by rate * engagement towards the item, exactly", (t) => {
  const s = new Float32Array([0, 0]);
  updateShortTerm(s, [1, 2], 0.5, 1);
  t.same([...s], [0.5, 1]);
  updateShortTerm(s, [1, 2], 0.5, 1);
  t.same([...s], [0.75, 1.5]);
  updateShortTerm(s, [100, 100], 0.5, 0);
  t.same([...s], [0.75, 1.5], "a fast skip (engagement 0) does not move it");
  updateShortTerm(s, [0.75, 3.5], 0.5, 0.5);
  t.same([...s], [0.75, 2]);
  t.end();
});

t.test("projection - the back-projection is the transpose: <Pᵀs, v> = <s, Pv>", (t) => {
  const p = new Projection(32, 8, 3);
  const rng = createRng(1);
  const v = Float32Array.from({ length: 32 }, () => rng.normal());
  const s = Float32Array.from({ length: 8 }, () => rng.normal());
  const a = p.back(s).reduce((acc, x, i) => acc + x * v[i]!, 0);
  const b = p.project(v).reduce((acc, x, i) => acc + x * s[i]!, 0);
  t.ok(Math.abs(a - b) < 1e-4, `${a} vs ${b}`);
  t.end();
});

t.test("long-term - affinity halves every half-life and is a share of engagement", (t) => {
  const l = new LongTermInterest(64, 4, 1000);
  l.observe(0, [7], [1, 0, 0, 0], 1);
  l.decayTo(1000);
  t.ok(Math.abs(l.affinity[LongTermInterest.bucket(7, 64)]! - 0.5) < 1e-6);
  t.ok(Math.abs(l.mass - 0.5) < 1e-6);
  t.equal(l.affinityOf(7), 1);
  l.observe(1000, [9], [0, 1, 0, 0], 0.5);
  t.ok(Math.abs(l.affinityOf(9) - 0.5) < 1e-6 || LongTermInterest.bucket(9, 64) === LongTermInterest.bucket(7, 64));
  t.end();
});

t.test("user interests - queries are unit content-space vectors; a new user has none", (t) => {
  const space = new InterestSpace({ content: 16, short: 8, mid: 8, long: 32 }, { shortRate: 0.3, midSeqLen: 4, longHalfLifeMs: 1e9, seed: 1 });
  const u = space.create();
  t.same(u.queries(), []);
  const v = new Float32Array(16).fill(0.25);
  u.observe({ timeMs: 1, content: v, categories: [3], watchRatio: 1, skipFast: false });
  const qs = u.queries();
  t.equal(qs.length, 2, "short and long (mid needs the encoder)");
  for (const q of qs) t.ok(Math.abs(Math.hypot(...q.vector) - 1) < 1e-5);
  t.equal(u.history.count, 1);
  t.end();
});

t.test("mid-term - concurrent sessions share one batched run, sequences left-padded", async (t) => {
  const contentDim = 3;
  const seqLen = 4;
  const w = midStepDim(contentDim);
  const batches: BatchInfo[] = [];
  const svc = new ModelService("mid", { maxBatchRows: 64, maxQueueRows: 1000, maxConcurrentRuns: 1, onBatch: (b) => batches.push(b) });
  // a stand-in encoder: mid = [engagement of the last step, number of non-empty steps], query = last step's content
  await svc.load("v1", createFunctionSession({
    inputNames: ["seq"], outputNames: ["mid", "query"],
    run: (feeds) => {
      const d = feeds["seq"]!.data as Float32Array;
      const rows = feeds["seq"]!.dims[0]!;
      const mid = new Float32Array(rows * 2);
      const query = new Float32Array(rows * contentDim);
      for (let r = 0; r < rows; r++) {
        const last = (r * seqLen + seqLen - 1) * w;
        mid[r * 2] = d[last + contentDim]!;
        let n = 0;
        for (let s = 0; s < seqLen; s++) if (d[(r * seqLen + s) * w + contentDim]! > 0) n++;
        mid[r * 2 + 1] = n;
        query.set(d.subarray(last, last + contentDim), r * contentDim);
      }
      return { mid: { data: mid, dims: [rows, 2] }, query: { data: query, dims: [rows, contentDim] } };
    },
  }));
  const enc = new MidTermEncoder(svc, seqLen, contentDim, 2);
  const hist = (k: number) => {
    const h = new EngagementHistory(seqLen);
    for (let i = 0; i < k; i++) h.push({ content: [i, i, i], engagement: 0.1 * (i + 1), skipFast: false });
    return h;
  };
  const [a, b, c] = await Promise.all([enc.encode([hist(1)]), enc.encode([hist(2)]), enc.encode([hist(6)])]);
  t.equal(batches.length, 1, "one session run");
  t.equal(batches[0]!.rows, 3);
  t.ok(Math.abs(a.mid[0]![0]! - 0.1) < 1e-6);
  t.equal(a.mid[0]![1], 1);
  t.equal(b.mid[0]![1], 2);
  t.equal(c.mid[0]![1], 4, "only the last N engagements");
  t.same([...c.query[0]!], [5, 5, 5], "the most recent step is last");
  await svc.close();
});
