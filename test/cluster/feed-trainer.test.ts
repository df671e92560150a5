import t from "tap";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FeedReply } from "../../protocols/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { WallClock, videoNumber } from "../../actors/index.ts";
import { openOnnxSession, readFeedRanker } from "../../models/index.ts";
import { NodeFeedLog, SyncedFeedRanker, createFeedNode, incrementalFeedTrainer, silentLogger } from "../../cluster/index.ts";

const SHIPPED = join(import.meta.dirname, "../../configs/models/feed-ranker");

t.test("a serving node records its served items' features with their outcomes and trains a child of the served version", async (t) => {
  const config = loadConfig({ env: {}, profile: "small", overrides: { "simulate.videos": 800, "storage.stateStore": "memory" } });
  const modelsDir = mkdtempSync(join(tmpdir(), "fyp-feed-trainer-"));
  t.teardown(() => rmSync(modelsDir, { recursive: true, force: true }));
  const shipped = readFeedRanker(SHIPPED);
  t.equal(shipped.card.features.width, 14 + 3 * config.dims.content, "the shipped model fits the small profile");
  const ranker = new SyncedFeedRanker({ dims: config.dims.content, watchRatioCap: config.ranking.watchRatioCap, log: silentLogger() });
  t.teardown(() => ranker.close());
  await ranker.swap(shipped.onnx, shipped.card.version);
  let feedLog!: NodeFeedLog;
  const node = createFeedNode({
    config, clock: new WallClock(), log: silentLogger(), storage: "ephemeral",
    ranker: (() => feedLog.wrap(ranker.ranker)()),
    trace: (at, id, msg) => feedLog.trace(at, id, msg),
  });
  t.teardown(() => node.close());
  feedLog = new NodeFeedLog({
    dims: config.dims.content, watchRatioCap: config.ranking.watchRatioCap, skipFastMs: 2000, completeRatio: 0.9, maxRows: 400, idleTimeoutMs: 60_000,
    durationOf: (id) => node.feed.catalog.get(id)?.durationMs,
  });

  // 8 users, 4 feeds of 6 each; every item gets an outcome: full watches, half watches and fast skips
  let served = 0;
  const versions = new Set<string>();
  const feed = async (user: string) => {
    const r = await node.system.ask<FeedReply>(`session/${user}`, { type: "feed.request", count: 6, at: Date.now() });
    versions.add(r.modelVersion);
    return r;
  };
  for (let f = 0; f < 4; f++) {
    for (let u = 0; u < 8; u++) {
      const user = `u${u}`;
      const r = await feed(user);
      for (const [i, it] of r.items.entries()) {
        served++;
        const d = node.feed.catalog.get(videoNumber(it.videoId))!.durationMs;
        const at = Date.now();
        if (i % 3 === 0) node.system.tell(`session/${user}`, { type: "session.watch", videoId: it.videoId, watchMs: d, durationMs: d, at });
        else if (i % 3 === 1) node.system.tell(`session/${user}`, { type: "session.watch", videoId: it.videoId, watchMs: d / 2, durationMs: d, at });
        else node.system.tell(`session/${user}`, { type: "session.skip", videoId: it.videoId, watchMs: 300, at });
        if (i === 0) node.system.tell(`session/${user}`, { type: "session.rewatch", videoId: it.videoId, at });
      }
    }
  }
  // a last request per user delivers the outcomes above (mailbox order) and sets `continue` of their last items
  for (let u = 0; u < 8; u++) await feed(`u${u}`);
  t.same([...versions], [shipped.card.version], "feeds were scored by the shipped version");
  t.equal(feedLog.rows, served, `every answered item has its row (${served})`);
  t.equal(feedLog.unmatched, 0, "every outcome matched a recorded candidate");
  const d = feedLog.peek();
  const sum = (h: number) => d.y[h]!.reduce((s, v) => s + v, 0);
  t.equal(sum(2), 32, "rewatch: the first item of each of the 32 feeds");
  t.equal(sum(4), 64, "skip_fast: the 300 ms skips");
  t.equal(sum(1), 64, "complete: the full watches");
  t.equal(sum(3), served - 8, "continue: every item but each user's last answered one");

  const fallbackCalls: (string | null)[] = [];
  const trainer = incrementalFeedTrainer({
    log: feedLog, minRows: 50, base: { card: shipped.card, tfjs: shipped.tfjs }, modelsDir,
    fit: { holdoutShare: 0.25, epochs: 1, batchSize: 64, learningRate: 0.001, seed: 1 }, openSession: openOnnxSession,
    fallback: async (req) => {
      fallbackCalls.push(req.parent);
      return null;
    },
    logger: silentLogger(), nodeId: "n1",
  });
  const out = await trainer({ kind: "sparse", parent: shipped.card.version });
  t.ok(out !== null, "a round with enough rows trains");
  t.same(fallbackCalls, [], "without the fallback");
  const card = JSON.parse(readFileSync(join(modelsDir, "feed-ranker", out!.version, "card.json"), "utf8")) as { parent: string; data: { rows: number }; training: { kind: string }; features: { width: number } };
  t.equal(card.parent, shipped.card.version, "the child's card names the served version as its parent");
  t.equal(card.data.rows, served, "trained on the node's rows");
  t.equal(card.training.kind, "incremental");
  t.equal(out!.metrics["rows"], served);
  t.equal(feedLog.rows, 0, "the round took the buffered rows");

  // the child hot-swaps in and serves
  await ranker.swap(out!.bytes, out!.version);
  const r = await feed("u1");
  t.equal(r.modelVersion, out!.version, "the node serves the child version");
  t.ok(r.items.length > 0);

  // too few rows: the round falls back (publish LATEST behaviour)
  t.equal(await trainer({ kind: "dense", parent: out!.version }), null);
  t.same(fallbackCalls, [out!.version], "a round with too few rows goes to the fallback");
});
