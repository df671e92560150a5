import { loadConfig } from "../../configs/index.ts";
import {
  createRng, featureLayout, feedFeatureWidth, HEADS, loadTraining, ModelService, MultiTaskRanker, newSessionModel, OnnxFeedRanker, openOnnxSession, feedSeedScore,
  SessionState, type ItemView, type RankRow, type UserView,
} from "../../models/index.ts";
import { round, type Emit } from "../row.ts";

/**
 * `ranking.score.rows_per_s`: candidates scored per second (features prebuilt, ModelService batches of
 * 500-row requests, one onnxruntime thread) and `ranking.feed.p99_ms`: one request ranking 500 candidates end
 * to end (features, ONNX, seed score, sort), sequential requests, wall time (config: p50, and the CPU time
 * per request, cpuP50/cpuP99: on a shared machine the wall-time tail is other processes holding the core); for the `small` and `seed` profiles with
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
    const cpu: number[] = [];
    const t1 = performance.now();
    while (performance.now() - t1 < 3000) {
      const s = performance.now();
      const c0 = process.cpuUsage();
      await ranker.rank(user, items, ctx, session);
      lat.push(performance.now() - s);
    cpu.push(cpuMs(c0));
      cpu.push(cpuMs(c0));
    }
    lat.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
    emit({ name: "ranking.feed.p99_ms", value: round(p(0.99), 3), unit: "ms", config: { ...cfg, p50: round(p(0.5), 3), requests: lat.length, cpuP50: round(q(cpu, 0.5), 3), cpuP99: round(q(cpu, 0.99), 3) } });
    await svc.close();
    if (profile === "small") await feedRankerLatency(emit, T, config, n);
  }
}

/** CPU time of this process since `c0` (ms): a request's own work, without the time other processes held the core. */
function cpuMs(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

function q(sorted: readonly number[], at: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(at * sorted.length))]!;
}

/**
 * `ranking.feed_ranker.p99_ms`: the ranker the feed pipeline calls (OnnxFeedRanker, the feed world's
 * features) ranking `n` candidates of one request: features, ONNX through ModelService, seed score, sort.
 */
async function feedRankerLatency(emit: Emit, T: Awaited<ReturnType<typeof loadTraining>>, config: ReturnType<typeof loadConfig>, n: number): Promise<void> {
  const dims = config.dims.content;
  const width = feedFeatureWidth(dims);
  const model = T.buildRankerNetwork({ width, hidden: config.ranking.hidden, tower: config.ranking.tower, heads: HEADS, seed: 2 });
  const ranker = await OnnxFeedRanker.open(T.exportLayersModel(model, { name: "ranker" }), "bench", { dims, openSession: openOnnxSession, watchRatioCap: 2 });
  model.dispose();
  const rng = createRng(6);
  const unit = () => {
    const v = Float32Array.from({ length: dims }, () => rng.normal());
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  };
  const session = newSessionModel({ dims, categories: 40, seenWindow: 500, recentMax: 50, shortRate: 0.3, longDecay: 0.995, discoveryPrior: 2 });
  session.short = Array.from(unit());
  session.shortWeight = 3;
  session.served = 12;
  session.lastEventAt = 0;
  const rows: RankRow[] = Array.from({ length: n }, (_, i) => ({
    video: { id: i, category: i % 40, authorId: i, durationMs: 5_000 + (i % 50) * 1000, vector: unit() }, similarity: rng.next(), affinity: rng.next() / 10, quality: 0.5,
  }));
  const ctx = { session, nowMs: 8000, depth: 12 };
  const one = async () => {
    const p = await ranker.predict(rows, ctx);
    const scored = p.map((x, i) => ({ id: rows[i]!.video.id, s: feedSeedScore(x, config.ranking.weights, session.fatigue) }));
    scored.sort((a, b) => b.s - a.s || a.id - b.id);
  };
  for (let i = 0; i < 50; i++) await one();
  (globalThis as { gc?: () => void }).gc?.();
  const lat: number[] = [];
  const cpu: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    const s = performance.now();
    const c0 = process.cpuUsage();
    await one();
    lat.push(performance.now() - s);
    cpu.push(cpuMs(c0));
  }
  lat.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!;
  emit({ name: "ranking.feed_ranker.p99_ms", value: round(p(0.99), 3), unit: "ms", config: { profile: "small", width, hidden: config.ranking.hidden, tower: config.ranking.tower, candidates: n, p50: round(p(0.5), 3), requests: lat.length, cpuP50: round(q(cpu, 0.5), 3), cpuP99: round(q(cpu, 0.99), 3) } });
  await ranker.close();
}
