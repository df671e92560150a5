import { loadConfig } from "../../configs/index.ts";
import { createRng, featureLayout, HEADS, loadTraining, ModelService, MultiTaskRanker, openOnnxSession, SessionState, type ItemView, type UserView } from "../../models/index.ts";
import { round, type Emit } from "../row.ts";

/**
 * `ranking.score.rows_per_s`: candidates scored per second (features prebuilt, ModelService batches of
 * 500-row requests, one onnxruntime thread) and `ranking.feed.p99_ms`: one request ranking 500 candidates end
 * to end (features, ONNX, seed score, sort), sequential requests; for the `small` and `seed` profiles with
 * the configured network (untrained weights: speed does not depend on their values).
 */
export async function run(emit: Emit): Promise<void> {
  const T = await loadTraining();
  await T.initTf();
  for (const profile of ["small", "seed"]) {
    const config = loadConfig({ profile });
    const d = config.dims;
    const layout = featureLayout({ content: d.content, short: d.interestShort, mid: d.interestMid, long: d.interestLong });
    const width = layout.width;
    const model = T.buildRankerNetwork({ width, hidden: config.ranking.hidden, tower: config.ranking.tower, heads: HEADS, seed: 1 });
    const onnx = T.exportLayersModel(model);
    model.dispose();
    const svc = new ModelService("ranker", { maxBatchRows: 2048, maxQueueRows: 1 << 22, maxConcurrentRuns: 1 });
    await svc.load("bench", await openOnnxSession(onnx, { intraOpThreads: 1 }));
    const ranker = new MultiTaskRanker(svc, layout, config.ranking.weights);
    const rng = createRng(5);
    const n = 500;
    const x = Float32Array.from({ length: n * width }, () => rng.normal());
    const fatigue = new Float32Array(n).fill(0.1);
    const cfg = { profile, width, hidden: config.ranking.hidden, tower: config.ranking.tower, candidates: n, intraOpThreads: 1 };
    // throughput: 4 requests in flight so ModelService batches 2000 rows a run
    let rows = 0;
    const t0 = performance.now();
    const caller = async () => {
      while (performance.now() - t0 < 3000) {
        await ranker.scoreRows(x, n, fatigue);
        rows += n;
      }
    };
    await Promise.all([caller(), caller(), caller(), caller()]);
    emit({ name: "ranking.score.rows_per_s", value: round(rows / ((performance.now() - t0) / 1000), 0), unit: "rows/s", config: cfg });
    // latency: one request, features built from views, 500 candidates
    const vec = (k: number) => Float32Array.from({ length: k }, () => rng.normal() / Math.sqrt(k));
    const user: UserView = {
      short: vec(d.interestShort), mid: vec(d.interestMid), longNormalized: vec(d.interestLong), long: { affinityOf: () => 0.1 },
      shortQuery: vec(d.content), midQuery: vec(d.content), longQuery: vec(d.content), rates: new Float32Array(6).fill(0.2), count: 10,
    };
    const items: ItemView[] = Array.from({ length: n }, (_, i) => ({ id: i, content: vec(d.content), category: i % 40, durationMs: 15_000, rates: new Float32Array(6).fill(0.3), count: 100, ageMs: 3_600_000 }));
    const session = new SessionState();
    const ctx = { nowMs: 0, hour: 20, sessionDepth: 5, sinceLastMs: 8000 };
    // steady state: JIT warm, and the throughput phase's garbage collected before timing starts
    for (let i = 0; i < 50; i++) await ranker.rank(user, items, ctx, session);
    (globalThis as { gc?: () => void }).gc?.();
    const lat: number[] = [];
    const t1 = performance.now();
    while (performance.now() - t1 < 3000) {
      const s = performance.now();
      await ranker.rank(user, items, ctx, session);
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
    emit({ name: "ranking.feed.p99_ms", value: round(p(0.99), 3), unit: "ms", config: { ...cfg, p50: round(p(0.5), 3), requests: lat.length } });
    await svc.close();
  }
}
