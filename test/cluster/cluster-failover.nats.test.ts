import t from "tap";
import { jetstreamManager } from "@nats-io/jetstream";
import { shardOf, subjects } from "../../protocols/index.ts";
import { ownerOf } from "../../cluster/index.ts";
import { FAST_CLUSTER, startTestCluster, type NodeProcess } from "../helpers/cluster-nodes.ts";
import { EventLoad, clusterProbe, leaseRenewals } from "../helpers/cluster-load.ts";

const CLUSTER = "fo";
const SHARDS = 64;
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);
const LEASE_MS = 1000;

t.test("cluster over NATS - kill -9 of a node under steady load: every acknowledged event is counted, its shards are owned again within the lease", async (t) => {
  // info level: a failure below shows the survivors' event-log and shard lines
  const { server, nodes } = await startTestCluster(t, CLUSTER, ["a", "b", "c"], [...FAST_CLUSTER, "--log-level", "info"]);
  const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  const p = await clusterProbe(server.url, CLUSTER, SHARDS);
  t.teardown(() => p.close());

  // c must own some of the users, or the test proves nothing
  const onC = USERS.filter((u) => ownerOf(shardOf(`session/${u}`, SHARDS), ["a", "b", "c"]) === "c");
  t.ok(onC.length > 0, `${onC.length} of the users live on c`);
  const load = new EventLoad(USERS);
  load.add(a.grpc, 0);
  load.add(b.grpc, 7);
  t.teardown(() => load.stop());
  // let load run until some events are through, then kill c (arm the failure watch first); every lease
  // renewal (each node's every 100 ms) also wakes the re-reads below
  const leases = await leaseRenewals(p, CLUSTER);
  t.teardown(() => leases.stop());
  const gone = leases.gone("c");
  await p.transport.flush();
  await load.reached(400);
  const killedAt = performance.now();
  await c.kill9();
  const removedAt = await gone;
  t.ok(removedAt - killedAt <= LEASE_MS + 500, `c's lease removed ${Math.round(removedAt - killedAt)} ms after kill -9 (lease ${LEASE_MS} ms)`);
  // every user answers again: c's shards have an owner
  await Promise.all(USERS.map((u) => p.events(u).catch(() => p.events(u))));
  const recoveredAt = performance.now();
  t.ok(recoveredAt - killedAt <= LEASE_MS + 3000, `all of c's shards owned again ${Math.round(recoveredAt - killedAt)} ms after the kill`);
  await load.more(200);
  await load.stop();
  const failures = [...load.failures].map(([k, v]) => `${k} x${v}`).join(", ");
  t.ok(load.total > 600, `${load.total} events acknowledged (${load.failedCalls} calls failed during the fail-over${failures === "" ? "" : `: ${failures}`})`);
  // Counts converge to the acknowledged ones once the owners have applied the log: re-read after each lease
  // renewal (two nodes renew every 100 ms), at most 100 times. A follower whose consumer went silent reads on
  // by direct gets after ~1 s (JetStreamEventLog.follow); 100 re-reads only a NATS round trip apart could all
  // end before that.
  const got = await load.converged(p, 100, leases.next);
  const expected = load.expected();
  // each lost user with the node that owns it now
  const lost = USERS.flatMap((u, i) => (got[i]! < expected[i]! ? [`${u}@${ownerOf(shardOf(`session/${u}`, SHARDS), ["a", "b"])}: ${got[i]} of ${expected[i]}`] : []));
  if (lost.length > 0) {
    // what a failure needs to be understood: how far each survivor applied the log, and its log lines
    const lastSeq = await jetstreamManager(p.transport.connection).then((m) => m.streams.info(subjects.eventStream(CLUSTER))).then((i) => i.state.last_seq, (e: Error) => e.message);
    t.comment(`the log's last sequence: ${lastSeq}`);
    for (const n of [a, b]) t.comment(`${n.id}'s lease: ${JSON.stringify(leases.latest.get(n.id) ?? {})}\n${n.id}'s log:\n${n.logTail().slice(-6000)}`);
  }
  t.same(lost, [], "no acknowledged event lost");
  if (load.failedCalls === 0) t.same(got, expected, "and none applied twice (every call was acknowledged)");
});
