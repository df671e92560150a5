import t from "tap";
import { ActorKind, PROTOCOL_VERSION, ProtocolMismatchError, createCodec, type SessionMsg } from "../../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, WallClock, defineActor } from "../../../actors/index.ts";
import type { Logger } from "pino";
import { capturingLogger } from "../../helpers/capturing-logger.ts";
import { ClusterNode, LocalHub, MemoryCheckpointStore, MemoryEventLog, MemoryMembershipTable, silentLogger, type EventLog, type LoggedEvent } from "../../../cluster/index.ts";

const SETTINGS = { numShards: 64, heartbeatMs: 40, leaseMs: 300, checkpointMs: 60, handoffTimeoutMs: 3000 };

/** Counts the watches it was told; `session.get-state` answers the count and the hosting node. */
const counter = defineActor<{ watches: number }, SessionMsg>({
  kind: ActorKind.Session,
  initialState: () => ({ watches: 0 }),
  receive(ctx, msg) {
    if (msg.type === "session.watch") ctx.state.watches++;
    else if (msg.type === "session.get-state") return { watches: ctx.state.watches, node: ctx.services.node };
    return undefined;
  },
});

function world() {
  const hub = new LocalHub();
  const table = new MemoryMembershipTable();
  const eventLog = new MemoryEventLog();
  const checkpoints = new MemoryCheckpointStore();
  const nodes: ClusterNode[] = [];
  const make = (nodeId: string, protocolVersion = PROTOCOL_VERSION, numShards = SETTINGS.numShards, own: { eventLog?: EventLog; log?: Logger } = {}) => {
    const system = new ActorSystem({
      clock: new WallClock(), store: new MemoryStateStore(), codec: createCodec(), log: silentLogger(), services: { node: nodeId },
      mailboxCapacity: 100_000, askTimeoutMs: 5000, passivationIdleMs: 600_000, sweepIntervalMs: 0, throughput: 32, dispatchBatch: 10_000,
    });
    system.register(counter);
    const node = new ClusterNode({
      cluster: "it", nodeId, settings: { ...SETTINGS, numShards }, system, transport: hub.connect(), codec: createCodec(), table,
      eventLog: own.eventLog ?? eventLog, checkpoints, log: own.log ?? silentLogger(), protocolVersion,
    });
    nodes.push(node);
    return { node, system };
  };
  return { make, eventLog, table, nodes };
}

/** Events reach their owner through the log: wait until every node handed every logged event to its actor. */
async function caughtUp(w: ReturnType<typeof world>, nodes: { node: ClusterNode }[]): Promise<void> {
  const last = await w.eventLog.lastSeq();
  await Promise.all(nodes.map((n) => n.node.shards.caughtUp(last)));
}

const watch = (i: number): SessionMsg => ({ type: "session.watch", videoId: "v1", watchMs: 1000, durationMs: 2000, at: i });
const users = Array.from({ length: 60 }, (_, i) => `u${i}`);

async function counts(system: ActorSystem): Promise<Map<string, { watches: number; node: string }>> {
  const out = new Map<string, { watches: number; node: string }>();
  for (const u of users) out.set(u, await system.ask(`session/${u}`, { type: "session.get-state" }));
  return out;
}

/** Sends `n` events round-robin over the users through `node`'s durable sink; returns acknowledged counts. */
async function load(node: ClusterNode, n: number, acked: Map<string, number>): Promise<void> {
  for (let i = 0; i < n; i++) {
    const u = users[i % users.length]!;
    await node.sink.append({ kind: "session", userId: u, msg: watch(i) });
    acked.set(u, (acked.get(u) ?? 0) + 1);
  }
}

t.test("cluster node - three nodes place actors on all members", async (t) => {
  const w = world();
  const [a, b, c] = [w.make("a"), w.make("b"), w.make("c")];
  await a.node.start();
  const t0 = performance.now();
  await Promise.all([b.node.start(), c.node.start()]);
  await Promise.all([a, b, c].map((n) => n.node.shards.whenSettled()));
  // b may take a shard from a and pass it straight on to c; that release waits for c's "acquiring" notice,
  // which arrived while b was still acquiring (a lost notice stalled it for the whole hand-off timeout)
  const ms = performance.now() - t0;
  t.ok(ms < SETTINGS.handoffTimeoutMs / 2, `two concurrent joins settled in ${Math.round(ms)} ms, no hand-off waited for its timeout`);
  const owned = [a, b, c].map((n) => n.node.shards.ownedCount());
  t.equal(owned.reduce((x, y) => x + y, 0), SETTINGS.numShards, `every shard owned once: ${owned.join("+")}`);
  const acked = new Map<string, number>();
  await load(a.node, 600, acked);
  const seen = await counts(b.system);
  t.same(new Set([...seen.values()].map((v) => v.node)), new Set(["a", "b", "c"]), "users live on every node");
  await caughtUp(w, [a, b, c]);
  t.same([...(await counts(c.system)).values()].map((v) => v.watches), users.map((u) => acked.get(u)), "every event applied once");
  for (const n of [a, b, c]) await n.node.crash();
});

t.test("cluster node - a node with another protocol version or shard count is refused at join", async (t) => {
  const w = world();
  await w.make("a").node.start();
  await t.rejects(w.make("old", PROTOCOL_VERSION + 1).node.start(), ProtocolMismatchError);
  await t.rejects(w.make("odd", PROTOCOL_VERSION, 32).node.start(), { code: "FYP_ERR_PROTOCOL_MISMATCH", message: /shard count/ });
  for (const n of w.nodes) await n.crash().catch(() => {});
});

t.test("cluster node - graceful leave and join under load move shards with no loss and no duplicates", async (t) => {
  const w = world();
  const [a, b, c] = [w.make("a"), w.make("b"), w.make("c")];
  for (const n of [a, b, c]) await n.node.start();
  await Promise.all([a, b, c].map((n) => n.node.shards.whenSettled()));
  const acked = new Map<string, number>();
  const loading = load(a.node, 3000, acked);
  await load(a.node, 200, acked);
  await c.node.leave();
  t.equal(c.node.shards.ownedCount(), 0, "the leaving node owns nothing");
  const d = w.make("d");
  await d.node.start();
  await Promise.all([a, b, d].map((n) => n.node.shards.whenSettled()));
  await loading;
  t.ok(d.node.shards.ownedCount() > 0, `the joining node took ${d.node.shards.ownedCount()} shards`);
  await caughtUp(w, [a, b, d]);
  const got = await counts(a.system);
  t.same(users.map((u) => got.get(u)!.watches), users.map((u) => acked.get(u)), "each acknowledged event counted exactly once");
  for (const n of [a, b, d]) await n.node.crash();
});

t.test("cluster node - a crashed node's shards are taken over from checkpoint + log, nothing lost", async (t) => {
  const w = world();
  const [a, b, c] = [w.make("a"), w.make("b"), w.make("c")];
  for (const n of [a, b, c]) await n.node.start();
  await Promise.all([a, b, c].map((n) => n.node.shards.whenSettled()));
  const acked = new Map<string, number>();
  await load(a.node, 500, acked);
  await caughtUp(w, [a, b, c]);
  await c.node.shards.checkpointNow();
  await load(a.node, 500, acked); // after the checkpoint: only the log has these for c's shards
  const cShards = [...c.node.shards.localShards()];
  const failed = a.node.membership.events.next("view", (e) => !e.members.includes("c"));
  await c.node.crash();
  const loading = load(b.node, 1000, acked);
  await failed;
  await Promise.all([a, b].map((n) => n.node.shards.whenSettled()));
  await loading;
  t.ok(cShards.every((s) => a.node.shards.isLocalShard(s) || b.node.shards.isLocalShard(s)), `c's ${cShards.length} shards are owned again`);
  await caughtUp(w, [a, b]);
  const got = await counts(b.system);
  t.same(users.map((u) => got.get(u)!.watches), users.map((u) => acked.get(u)), "every acknowledged event counted exactly once");
  for (const n of [a, b]) await n.node.crash();
});

/** The shared log, except that this node's follower holds what it is sent until `release()` (a stalled consumer). */
function stallingLog(log: MemoryEventLog) {
  let held: LoggedEvent[] | null = [];
  let deliver: ((e: LoggedEvent) => void) | undefined;
  const eventLog: EventLog = {
    append: (shard, data, msgId) => log.append(shard, data, msgId),
    lastSeq: () => log.lastSeq(),
    replay: (shard, afterSeq, onEvent) => log.replay(shard, afterSeq, onEvent),
    close: () => log.close(),
    follow: (fromSeq, onEvent) => {
      deliver = onEvent;
      return log.follow(fromSeq, (e) => (held !== null ? held.push(e) : onEvent(e)));
    },
  };
  const release = (): void => {
    const h = held ?? [];
    held = null;
    for (const e of h) deliver!(e);
  };
  return { eventLog, release };
}

t.test("cluster node - a log follower that stops delivering: the node warns that its own acknowledged appends have not come back, publishes how far it followed, and says when it caught up", async (t) => {
  const w = world();
  const stalled = stallingLog(w.eventLog);
  const logs = capturingLogger();
  const a = w.make("a", PROTOCOL_VERSION, SETTINGS.numShards, { eventLog: stalled.eventLog, log: logs.log });
  await a.node.start();
  await a.node.shards.whenSettled();
  t.teardown(() => a.node.crash());
  const behind = logs.nth("event log follower behind: an event this node appended has not come back through it", 1, 20_000);
  const acked = new Map<string, number>();
  await load(a.node, 5, acked);
  const warned = await behind;
  t.match(warned, { level: 40, followed: 0, appended: 5 }, "warned with how far it followed and the acknowledged sequence that has not come back");
  t.ok((warned.ms as number) >= 3000, `after ${warned.ms as number} ms (the threshold is 3 s)`);
  const lease = (await w.table.list()).find((m) => m.nodeId === "a")!;
  t.equal(lease.info.followedSeq, "0", "the lease says the follower is at 0");
  t.equal(lease.info.appliedSeq, "0", "and nothing was applied");
  const caughtUpLine = logs.nth("event log follower caught up with this node's appends", 1, 20_000);
  stalled.release();
  t.match(await caughtUpLine, { level: 30, followed: 5 }, "once the events come through, it says so");
  const got = await counts(a.system);
  t.same(users.slice(0, 5).map((u) => got.get(u)!.watches), [1, 1, 1, 1, 1], "and they are applied");
});
