import t from "tap";
import { createCodec, shardOf } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, RemoteRouter, WallClock } from "../../actors/index.ts";
import { KvLeaseTable, NatsTransport, createFeedClient, ownerOf, silentLogger, type FeedClient } from "../../cluster/index.ts";
import { startNatsServer } from "../helpers/nats-server.ts";
import { startNode, type NodeProcess } from "../helpers/cluster-nodes.ts";

const CLUSTER = "fo";
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);
const LEASE_MS = 1000;

/** A client-side probe: an actor system that owns no shard and asks session actors through the cluster. */
async function probe(url: string) {
  const transport = await NatsTransport.connect({ servers: url, name: "probe", log: silentLogger() });
  const system = new ActorSystem({
    clock: new WallClock(), store: new MemoryStateStore(), codec: createCodec(), log: silentLogger(), mailboxCapacity: 1000, askTimeoutMs: 2000,
    passivationIdleMs: 600_000, sweepIntervalMs: 0, throughput: 32, dispatchBatch: 1000,
  });
  const router = new RemoteRouter({
    system, transport, codec: createCodec(), cluster: CLUSTER, nodeId: "probe", log: silentLogger(),
    ownership: { numShards: 64, isLocalShard: () => false, localShards: () => [] },
  });
  router.start();
  await transport.flush();
  // A short watch of a longer video counts as a skip: both are the events the session recorded.
  const watches = (u: string) =>
    system.ask<{ watches: number; skips: number }>(`session/${u}`, { type: "session.get-state" }).then((s) => s.watches + s.skips);
  return { transport, watches };
}

t.test("cluster over NATS - kill -9 of a node under steady load: every acknowledged event is counted, its shards are owned again within the lease", async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.stop());
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.kill9();
  });
  for (const id of ["a", "b", "c"]) nodes.push(await startNode(server.url, CLUSTER, id));
  const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  const clients: FeedClient[] = [a, b].map((n) => createFeedClient({ target: `grpc://${n.grpc}` }));
  t.teardown(() => clients.forEach((cl) => cl.close()));
  const p = await probe(server.url);
  t.teardown(() => p.transport.close());

  // c must own some of the users, or the test proves nothing
  const leases = await KvLeaseTable.open(p.transport.connection, CLUSTER);
  const onC = USERS.filter((u) => ownerOf(shardOf(`session/${u}`, 64), ["a", "b", "c"]) === "c");
  t.ok(onC.length > 0, `${onC.length} of the users live on c`);
  const acked = new Map<string, number>();
  let total = 0;
  let warm: () => void = () => {};
  const warmedUp = new Promise<void>((r) => (warm = r));
  let stop = false;
  let failedCalls = 0;
  const loadLoop = async (client: FeedClient, offset: number) => {
    for (let i = 0; !stop && i < 100_000; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => USERS[(offset + i * 10 + j) % USERS.length]!);
      try {
        const r = await client.reportEvents(batch.map((u) => ({ userId: u, type: "EVENT_TYPE_WATCH", videoId: "v1", watchMs: 1000, durationMs: 2000 })), { deadlineMs: 5000 });
        if (r.accepted === batch.length) for (const u of batch) acked.set(u, (acked.get(u) ?? 0) + 1);
        total += r.accepted;
        if (total >= 400) warm();
        else failedCalls++;
      } catch {
        failedCalls++; // not acknowledged: not counted (it may or may not have been logged)
      }
    }
  };
  const loads = [loadLoop(clients[0]!, 0), loadLoop(clients[1]!, 7)];
  // let load run until some events are through, then kill c (arm the failure watch first)
  const gone = new Promise<number>((resolve) => {
    void leases.watch((ch) => {
      if (ch.nodeId === "c" && ch.record === undefined) resolve(performance.now());
    });
  });
  await p.transport.flush();
  await warmedUp;
  const killedAt = performance.now();
  await c.kill9();
  const removedAt = await gone;
  t.ok(removedAt - killedAt <= LEASE_MS + 500, `c's lease removed ${Math.round(removedAt - killedAt)} ms after kill -9 (lease ${LEASE_MS} ms)`);
  // every user answers again: c's shards have an owner
  await Promise.all(USERS.map((u) => p.watches(u).catch(() => p.watches(u))));
  const recoveredAt = performance.now();
  t.ok(recoveredAt - killedAt <= LEASE_MS + 3000, `all of c's shards owned again ${Math.round(recoveredAt - killedAt)} ms after the kill`);
  stop = true;
  await Promise.all(loads);
  t.ok(total > 400, `${total} events acknowledged (${failedCalls} calls failed during the fail-over)`);
  // counts converge to the acknowledged ones once the owners have applied the log (bounded re-reads)
  let got: number[] = [];
  for (let attempt = 0; attempt < 50; attempt++) {
    got = await Promise.all(USERS.map((u) => p.watches(u)));
    if (got.every((g, i) => g >= (acked.get(USERS[i]!) ?? 0))) break;
    await p.transport.flush();
  }
  const lost = USERS.filter((u, i) => got[i]! < (acked.get(u) ?? 0));
  t.same(lost.map((u) => `${u}: ${got[USERS.indexOf(u)]} of ${acked.get(u)}`), [], "no acknowledged event lost");
  if (failedCalls === 0) t.same(got, USERS.map((u) => acked.get(u) ?? 0), "and none applied twice (every call was acknowledged)");
});
