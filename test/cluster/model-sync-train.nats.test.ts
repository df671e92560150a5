import t from "tap";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetStreamModelStore, NatsTransport, RpcError, createFeedClient, silentLogger } from "../../cluster/index.ts";
import { readFeedRanker } from "../../models/index.ts";
import { startNatsServer } from "../helpers/nats-server.ts";
import { FAST_CLUSTER, startNode, type NodeProcess } from "../helpers/cluster-nodes.ts";

const CLUSTER = "mst";
const MODEL = "feed-ranker";
const NODES = ["a", "b"];
const USERS = Array.from({ length: 16 }, (_, i) => `u${i}`);
const SHIPPED = join(import.meta.dirname, "../../configs/models/feed-ranker");

t.test("model sync over NATS - a scheduled round trains a child of the served version from the rows the node recorded; every node serves it, no request fails", async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.stop());
  const modelsDir = mkdtempSync(join(tmpdir(), "fyp-models-train-"));
  t.teardown(() => rmSync(modelsDir, { recursive: true, force: true }));
  const conn = await NatsTransport.connect({ servers: server.url, name: "mst-test", log: silentLogger() });
  t.teardown(() => conn.close());
  const store = await JetStreamModelStore.open(conn.connection, CLUSTER);
  const shipped = readFeedRanker(SHIPPED);
  const served = shipped.card.version;
  await store.publish({ model: MODEL, version: served, parent: null, kind: "push", by: "test", metrics: {} }, shipped.onnx);

  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.kill9();
  });
  const extra = [
    ...FAST_CLUSTER, "--set", "grpc.maxEventLoopDelayMs=5000", "--set", "cluster.modelSync.schedule=true", "--set", "cluster.modelSync.sparseIntervalMs=1000",
    "--set", "cluster.modelSync.train=true", "--set", "cluster.modelSync.minRows=60", "--set", `cluster.modelSync.baseModel=${SHIPPED}`, "--set", `ranking.modelsDir=${modelsDir}`,
  ];
  for (const id of NODES) nodes.push(await startNode(server.url, CLUSTER, id, extra));

  // closed loops: GetFeed, then an outcome for every item (full watch, half watch, fast skip) through ReportEvents
  const versionOf = new Map<string, string>();
  let feeds = 0;
  let events = 0;
  const failures: string[] = [];
  let stopped = false;
  const clients = nodes.map((n) => createFeedClient({ target: `grpc://${n.grpc}` }));
  t.teardown(() => clients.forEach((c) => c.close()));
  const loop = async (ci: number, offset: number) => {
    const client = clients[ci]!;
    for (let i = offset; !stopped; i++) {
      const u = USERS[i % USERS.length]!;
      try {
        const r = await client.getFeed({ userId: u, count: 5 }, { deadlineMs: 10_000 });
        const versions = new Set(r.items.map((it) => it.modelVersion));
        if (r.items.length === 0 || versions.size !== 1) throw new Error(`feed of ${u}: ${r.items.length} items, versions ${[...versions].join(",")}`);
        versionOf.set(u, [...versions][0]!);
        feeds++;
        const ev = r.items.map((it, k) => k % 3 === 2
          ? { userId: u, type: "EVENT_TYPE_SKIP" as const, videoId: it.videoId, watchMs: 400 }
          : { userId: u, type: "EVENT_TYPE_WATCH" as const, videoId: it.videoId, watchMs: k % 3 === 0 ? 10_000 : 5_000, durationMs: 10_000 });
        const a = await client.reportEvents(ev, { deadlineMs: 10_000 });
        if (a.accepted !== ev.length) throw new Error(`accepted ${a.accepted} of ${ev.length}`);
        events += ev.length;
      } catch (e) {
        failures.push(e instanceof RpcError ? `${e.code} ${e.message}` : String(e));
      }
    }
  };
  const loops = [loop(0, 0), loop(0, 8), loop(1, 4), loop(1, 12)];
  const until = async (check: () => boolean, what: string, timeoutMs = 45_000) => {
    const t0 = Date.now();
    // polls the loops' counters; each store read (a NATS round trip) yields to them
    while (!check()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms (${feeds} feeds, ${events} events, failures ${failures.slice(0, 3).join("; ")}; versions ${JSON.stringify(Object.fromEntries(versionOf))})`);
      await store.current(MODEL);
    }
  };
  await until(() => USERS.every((u) => versionOf.get(u) === served), "every node serves the shipped version");
  t.pass(`every user's feed is scored by the shipped version ${served}`);
  const child = () => {
    const v = versionOf.get(USERS[0]!);
    return v !== undefined && v !== served && USERS.every((u) => versionOf.get(u) === v) ? v : undefined;
  };
  await until(() => child() !== undefined, "every node serves a trained child version");
  const version = child()!;
  const atSwap = feeds;
  await until(() => feeds >= atSwap + 20, "feeds go on after the swap");
  stopped = true;
  await Promise.all(loops);
  t.same(failures, [], `no GetFeed or ReportEvents call failed (${feeds} feeds, ${events} events)`);

  // rounds run every second: a slow machine may train more than one child before every feed shows one, each
  // the child of the one before
  const trained = (await store.versions(MODEL)).filter((v) => v.kind === "sparse");
  t.ok(trained.length >= 1, `${trained.length} version(s) trained by scheduled rounds`);
  t.same(trained.map((v) => v.parent), [served, ...trained.slice(0, -1).map((v) => v.version)], "the first trained version's parent is the served one, each later one's the version before");
  t.ok(trained.some((v) => v.version === version), `the version every node serves (${version}) is one of them`);
  const first = trained[0]!.version;
  const card = JSON.parse(readFileSync(join(modelsDir, MODEL, first, "card.json"), "utf8")) as { parent: string; data: { rows: number; kind: string }; training: { kind: string } };
  t.equal(card.parent, served, "its model card names the parent");
  t.equal(card.training.kind, "incremental", "trained incrementally");
  t.ok(card.data.rows >= 60, `trained on ${card.data.rows} rows recorded on the node (${card.data.kind})`);
});
