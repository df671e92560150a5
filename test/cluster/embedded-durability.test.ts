import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WallClock } from "../../actors/index.ts";
import { createFeedClient, createFeedNode, silentLogger, startDurableEmbedded } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { spawnServe } from "../helpers/run-cli.ts";

const USERS = Array.from({ length: 20 }, (_, i) => `u${i}`);
const FAST = ["--set", "cluster.numShards=64", "--set", "cluster.checkpointMs=200"];

/** `fyp serve` over `dir` (durable LMDB event log, the default); resolves with its gRPC address once it listens. */
function serve(dir: string) {
  const s = spawnServe(["--port", "0", "--no-metrics", "--profile", "small", "--videos", "300", "--log-level", "warn", "--set", `storage.dir=${dir}`, ...FAST]);
  return { ...s, ready: s.ready.then((i) => i.grpc) };
}

async function report(grpc: string, rounds: number, acked: Map<string, number>, tag: string): Promise<void> {
  const c = createFeedClient({ target: `grpc://${grpc}` });
  try {
    for (let r = 0; r < rounds; r++) {
      const res = await c.reportEvents(USERS.map((u) => ({ userId: u, type: "EVENT_TYPE_WATCH" as const, videoId: "v1", watchMs: 1000, durationMs: 2000, eventId: `${tag}-${r}-${u}` })));
      if (res.accepted !== USERS.length) throw new Error(`accepted ${res.accepted}`);
      for (const u of USERS) acked.set(u, (acked.get(u) ?? 0) + 1);
    }
  } finally {
    c.close();
  }
}

t.test("embedded durability - fyp serve killed with SIGKILL, restarted over the same folder: every acknowledged event and upload is still there", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "fyp-durable-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const acked = new Map<string, number>();

  const first = serve(dir);
  t.teardown(() => void first.child.kill("SIGKILL"));
  const grpc1 = await first.ready;
  await report(grpc1, 15, acked, "a");
  const c1 = createFeedClient({ target: `grpc://${grpc1}` });
  const uploaded = [];
  for (let i = 0; i < 3; i++) uploaded.push((await c1.uploadVideo({ authorId: `au${i}`, durationMs: 20_000, category: i, title: `clip ${i}`, tags: [`tag${i}`] })).videoId);
  c1.close();
  t.same(uploaded, ["v300", "v301", "v302"], "uploads numbered after the 300 catalog videos");
  first.child.kill("SIGKILL");
  await first.exited;

  // restart: replays the log after the checkpoints; new events and uploads go on from there
  const second = serve(dir);
  t.teardown(() => void second.child.kill("SIGKILL"));
  const grpc2 = await second.ready;
  await report(grpc2, 5, acked, "b");
  const c2 = createFeedClient({ target: `grpc://${grpc2}` });
  const next = await c2.uploadVideo({ authorId: "au9", durationMs: 20_000, category: 1 });
  t.equal(next.videoId, "v303", "the restarted server knows the earlier uploads (next id v303)");
  const kept = await c2.getVideoStats({ videoId: "v301" });
  t.match(kept, { title: "clip 1", tags: ["tag1"], category: 1, durationMs: 20_000 }, "an upload's title and tags survive the crash (replayed from the log)");
  c2.close();
  second.child.kill("SIGTERM");
  t.equal(await second.exited, 0, `graceful stop (checkpoints every shard) ${second.stderr().slice(-1500)}`);

  // the folder, opened in-process with the same code: counts = acknowledged events, exactly
  const config = loadConfig({ env: {}, profile: "small", overrides: { "simulate.videos": 300, "storage.dir": dir, "cluster.numShards": 64 } });
  const feed = createFeedNode({ config, clock: new WallClock(), log: silentLogger(), storage: "ephemeral" });
  const durable = await startDurableEmbedded({ feed, dir: join(dir, "events"), nodeId: "check", settings: config.cluster, log: silentLogger() });
  t.teardown(async () => {
    await durable.close();
    await feed.close();
  });
  const got = await Promise.all(
    USERS.map((u) => feed.system.ask<{ watches: number; skips: number }>(`session/${u}`, { type: "session.get-state" }).then((s) => s.watches + s.skips)),
  );
  t.same(got, USERS.map((u) => acked.get(u)), `every session counted its ${20} acknowledged events once`);
  t.equal(feed.feed.catalog.size, 304, "catalog: 300 + 4 uploads");
  t.equal(feed.contentIndex.size, 304, "content index: 300 + 4 uploads");
});
