import t from "tap";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../configs/index.ts";
import { silentLogger } from "../../cluster/index.ts";
import { runSimulation } from "../../loadtest/index.ts";
import { loadFeedLog, loadTraining, newSessionModel, openOnnxSession, OnnxFeedRanker, readFeedRanker, saveFeedLog, trainFeedRanker, type RankRow } from "../../models/index.ts";
import { collectWorldLog } from "../../bin/commands/feed-ranker.ts";

// a tiny seeded world in the small profile's dimensions: a few seconds per run
const base = {
  "simulate.sessions": 80, "simulate.videos": 300, "simulate.progress": false, "simulate.uploads.count": 0,
  "simulate.arrivalWindowMs": 300_000, "simulate.returnDelayMs": 120_000, "storage.stateStore": "memory",
};
const config = (extra: Record<string, unknown> = {}) => loadConfig({ env: {}, profile: "small", overrides: { ...base, ...extra } });
const dir = mkdtempSync(join(tmpdir(), "fyp-feed-ranker-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const T = await loadTraining();
await T.initTf();

const fit = { holdoutShare: 0.25, hidden: [16], tower: 8, epochs: 2, batchSize: 64, learningRate: 0.01, seed: 3, openSession: openOnnxSession, modelsDir: dir };

t.test("world log -> train -> serve -> incremental update, end to end", async (t) => {
  const c = config();
  const plain = await runSimulation(c, silentLogger());
  const { data, summary } = await collectWorldLog(c, silentLogger());
  t.equal(summary.checksum, plain.summary.checksum, "logging does not change the run");
  t.ok(data.rows > 300, `${data.rows} served items logged`);
  t.equal(data.rows, summary.items, "every viewed item has its row");
  t.equal(data.width, 14 + 3 * c.dims.content);
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  t.ok(Math.abs(mean(data.y[4]!) - summary.skipRate) < 1e-3, "skip_fast labels are the run's skips");
  const cont = mean(data.y[3]!);
  t.ok(cont > 0.5 && cont < 1, `continue is mostly 1 with session ends at 0 (${cont.toFixed(3)})`);
  t.same(data.servedBy, ["prior-v1"]);
  // the log round-trips through its file
  saveFeedLog(join(dir, "log.bin"), data);
  const back = loadFeedLog(join(dir, "log.bin"));
  t.equal(back.rows, data.rows);
  t.same(Array.from(back.x.subarray(0, 50)), Array.from(data.x.subarray(0, 50)));
  t.same(Array.from(back.y[3]!), Array.from(data.y[3]!));

  const v1 = await trainFeedRanker(T, { ...fit, data, source: { test: true } });
  t.equal(v1.card.parent, null);
  t.equal(v1.card.name, "feed-ranker");
  t.same(Object.keys((v1.card.metrics as { holdout: { auc: object } }).holdout.auc).sort(), ["complete", "continue", "long_view", "rewatch", "skip_fast"]);
  t.ok(existsSync(join(dir, "feed-ranker", v1.version, "ranker.onnx")));
  t.equal(readFileSync(join(dir, "feed-ranker", "LATEST"), "utf8").trim(), v1.version);

  // the trained model serves the feed from config; the same seed gives the same run
  const served = config({ "feed.ranker": join(dir, "feed-ranker") });
  const a = await runSimulation(served, silentLogger());
  const b = await runSimulation(served, silentLogger());
  t.equal(a.summary.checksum, b.summary.checksum, "same seed, same run with the ONNX ranker (virtual time)");
  t.not(a.summary.checksum, plain.summary.checksum, "the model ranks differently from the prior");
  t.equal(a.summary.feedErrors, 0);

  // incremental: the parent's weights learn from a new stream, served by the parent
  const fresh = await collectWorldLog(config({ "feed.ranker": join(dir, "feed-ranker", v1.version), "simulate.seed": 7 }), silentLogger());
  t.same(fresh.data.servedBy, [v1.version], "the new events were served by the parent");
  const parent = readFeedRanker(join(dir, "feed-ranker"));
  t.equal(parent.card.version, v1.version);
  const v2 = await trainFeedRanker(T, { ...fit, data: fresh.data, parent: { card: parent.card, tfjs: parent.tfjs! }, epochs: 1, source: { test: true } });
  t.equal(v2.card.parent, v1.version, "the card names its parent");
  t.equal((v2.card.training as { kind: string }).kind, "incremental");
  t.ok((v2.card.metrics as { parentOnHoldout?: object }).parentOnHoldout !== undefined, "parent scored on the same holdout");
  t.equal(readFileSync(join(dir, "feed-ranker", "LATEST"), "utf8").trim(), v2.version);
  // predictions changed: the same rows through both versions
  const r = await OnnxFeedRanker.open(v1.onnx, v1.version, { dims: c.dims.content, openSession: openOnnxSession, watchRatioCap: 2 });
  const session = newSessionModel({ dims: c.dims.content, categories: 5, seenWindow: 10, recentMax: 5, shortRate: 0.3, longDecay: 0.99, discoveryPrior: 2 });
  session.short = Array.from({ length: c.dims.content }, (_, i) => Math.sin(i));
  session.shortWeight = 1;
  const rows: RankRow[] = Array.from({ length: 20 }, (_, i) => ({
    video: { id: i, category: i % 5, authorId: 0, durationMs: 5000 + 2000 * i, vector: Float32Array.from({ length: c.dims.content }, (_, k) => Math.cos(i + k) / 4) },
    similarity: (i % 7) / 7, affinity: (i % 3) / 3, quality: 0.5,
  }));
  const ctx = { session, nowMs: 0, depth: 3 };
  const p1 = await r.predict(rows, ctx);
  await r.swap(v2.onnx, v2.version);
  const p2 = await r.predict(rows, ctx);
  t.equal(r.version, v2.version);
  const diff = Math.max(...p1.map((p, i) => Math.abs(p.complete - p2[i]!.complete) + Math.abs(p.watchRatio - p2[i]!.watchRatio)));
  t.ok(diff > 1e-4, `predictions changed after the update (max diff ${diff})`);
  await r.close();
});
