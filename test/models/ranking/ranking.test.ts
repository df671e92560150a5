import t from "tap";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  auc, buildKuaiRandRows, HEADS, loadTraining, multiTaskSeedScore, ndcgAtK, openOnnxSession, xauc, createRng, ModelService,
  MultiTaskRanker, featureLayout, SessionState, scoreThroughService,
} from "../../../models/index.ts";

const T = await loadTraining();
await T.initTf();
const KUAIRAND = join(fileURLToPath(new URL("../../../", import.meta.url)), "../shared/datasets/kuairand");

t.test("metrics - AUC, NDCG and XAUC on hand-checked cases", (t) => {
  t.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  t.equal(auc([0.5, 0.5], [0, 1]), 0.5, "ties count half");
  t.ok(Number.isNaN(auc([1, 2], [1, 1])));
  t.equal(ndcgAtK([[0, 1, 2]], [3, 2, 1], [1, 0, 0], 10).ndcg, 1);
  t.ok(Math.abs(ndcgAtK([[0, 1]], [1, 2], [1, 0], 10).ndcg - 1 / Math.log2(3)) < 1e-12);
  t.equal(xauc([1, 2, 3, 4], [10, 20, 30, 40], 1000), 1);
  t.end();
});

t.test("seed score - R = a·heads − a5·skip − a6·fatigue with the configured weights", (t) => {
  const w = { watchTime: 0.4, complete: 0.2, rewatch: 0.15, continue: 0.15, skipFast: 0.05, fatigue: 0.05 };
  const p = [[0.5], [0.5], [0.1], [0.8], [0.2], [0.9]];
  t.ok(Math.abs(multiTaskSeedScore(p, 0, w, 0.4) - (0.2 + 0.1 + 0.015 + 0.12 - 0.01 - 0.02)) < 1e-12);
  t.end();
});

t.test("ranker - ONNX served through ModelService matches tfjs within 1e-4 after training steps", async (t) => {
  const layout = featureLayout({ content: 8, short: 4, mid: 4, long: 8 });
  const width = layout.width;
  const rng = createRng(3);
  const n = 256;
  const x = Float32Array.from({ length: n * width }, () => rng.normal());
  const y = HEADS.map((_, h) => Float32Array.from({ length: n }, (_, r) => (x[r * width + h]! > 0 ? 1 : 0)));
  const model = T.buildRankerNetwork({ width, hidden: [32, 16], tower: 8, heads: HEADS, seed: 1 });
  const losses = await T.fitArrays(model, x, width, y, { epochs: 3, batchSize: 64, learningRate: 0.01, seed: 1, loss: "binaryCrossentropy" });
  t.ok(losses[2]! < losses[0]!, `loss fell ${losses[0]} -> ${losses[2]}`);
  const svc = new ModelService("ranker", { maxBatchRows: 128, maxQueueRows: 10_000, maxConcurrentRuns: 1 });
  await svc.load("v", await openOnnxSession(T.exportLayersModel(model)));
  const onnx = await scoreThroughService(svc, x, width, 0, n, 64);
  const ref = T.predictArrays(model, x, width);
  let max = 0;
  for (let h = 0; h < HEADS.length; h++) for (let r = 0; r < n; r++) max = Math.max(max, Math.abs(onnx[h]![r]! - ref[h]![r]!));
  t.ok(max <= 1e-4, `max abs diff ${max}`);
  // the serving class ranks with the same outputs
  const ranker = new MultiTaskRanker(svc, layout, { watchTime: 0.4, complete: 0.2, rewatch: 0.15, continue: 0.15, skipFast: 0.05, fatigue: 0.05 });
  const user = { short: [0, 0, 0, 0], mid: [0, 0, 0, 0], longNormalized: new Array(8).fill(0), long: { affinityOf: () => 0 }, shortQuery: new Array(8).fill(0), midQuery: new Array(8).fill(0), longQuery: new Array(8).fill(0), rates: new Array(6).fill(0.2), count: 0 };
  const items = Array.from({ length: 20 }, (_, i) => ({ id: i, content: Array.from({ length: 8 }, () => rng.normal()), category: i % 3, durationMs: 10_000 + i * 1000, rates: new Array(6).fill(0.3), count: i, ageMs: 0 }));
  const out = await ranker.rank(user, items, { nowMs: 0, hour: 12, sessionDepth: 3, sinceLastMs: 5000 }, new SessionState());
  t.equal(out.items.length, 20);
  t.equal(out.version, "v");
  for (let i = 1; i < out.items.length; i++) t.ok(out.items[i - 1]!.score >= out.items[i]!.score);
  await svc.close();
});

t.test("ranker - trained on a slice of real KuaiRand days, beats a constant predictor on the later days", { skip: !existsSync(KUAIRAND) && "no ../shared/datasets/kuairand" }, async (t) => {
  const rows = await buildKuaiRandRows({
    dir: KUAIRAND, rules: { skipFastMs: 3000, rewatchRatio: 2, sessionGapMs: 1_800_000 }, dims: { content: 16, short: 8, mid: 8, long: 16 },
    interest: { shortRate: 0.3, midSeqLen: 8, longHalfLifeMs: 1_209_600_000, seed: 1 }, watchRatioCap: 2, trainEnd: "2022-05-02", validEnd: "2022-05-05", userModulo: 10,
  });
  t.ok(rows.trainRows > 1000 && rows.validRows > 300, `${rows.trainRows} train / ${rows.validRows} valid rows`);
  const w = rows.layout.width;
  const model = T.buildRankerNetwork({ width: w, hidden: [32], tower: 8, heads: HEADS, seed: 2 });
  await T.fitArrays(model, rows.x, w, rows.y, { epochs: 4, batchSize: 128, learningRate: 0.005, seed: 2, loss: "binaryCrossentropy", rows: rows.trainRows });
  const valid = rows.x.subarray(rows.trainRows * w, rows.rows * w);
  const preds = T.predictArrays(model, valid, w);
  const yv = (h: number) => rows.y[h]!.subarray(rows.trainRows, rows.rows);
  for (const head of ["long_view", "complete", "skip_fast"] as const) {
    const h = HEADS.indexOf(head);
    const a = auc(preds[h]!, yv(h));
    t.ok(a > 0.58, `${head} AUC ${a.toFixed(3)} > 0.58 (a constant scores 0.5)`);
    // log loss against the constant predictor at the training base rate
    let base = 0;
    for (let r = 0; r < rows.trainRows; r++) base += rows.y[h]![r]!;
    base /= rows.trainRows;
    const ll = (p: (r: number) => number) => {
      let s = 0;
      const y = yv(h);
      for (let r = 0; r < y.length; r++) {
        const q = Math.min(1 - 1e-6, Math.max(1e-6, p(r)));
        s -= y[r]! * Math.log(q) + (1 - y[r]!) * Math.log(1 - q);
      }
      return s / y.length;
    };
    const mine = ll((r) => preds[h]![r]!);
    const constant = ll(() => base);
    t.ok(mine < constant, `${head} log loss ${mine.toFixed(4)} < constant ${constant.toFixed(4)}`);
  }
  model.dispose();
});
