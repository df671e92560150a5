import t from "tap";
import { shardOf } from "../../protocols/index.ts";
import { KvLeaseTable, ownerOf } from "../../cluster/index.ts";
import { startTestCluster, type NodeProcess } from "../helpers/cluster-nodes.ts";
import { EventLoad, clusterProbe } from "../helpers/cluster-load.ts";

const CLUSTER = "fo";
const SHARDS = 64;
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);
const LEASE_MS = 1000;

t.test("cluster over NATS - kill -9 of a node under steady load: every acknowledged event is counted, its shards are owned again within the lease", async (t) => {
  const { server, nodes } = await startTestCluster(t, CLUSTER, ["a", "b", "c"]);
  const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  const p = await clusterProbe(server.url, CLUSTER, SHARDS);
  t.teardown(() => p.close());

  // c must own some of the users, or the test proves nothing
  const leases = await KvLeaseTable.open(p.transport.connection, CLUSTER);
  const onC = USERS.filter((u) => ownerOf(shardOf(`session/${u}`, SHARDS), ["a", "b", "c"]) === "c");
  t.ok(onC.length > 0, `${onC.length} of the users live on c`);
  const load = new EventLoad(USERS);
  load.add(a.grpc, 0);
  load.add(b.grpc, 7);
  t.teardown(() => load.stop());
  // let load run until some events are through, then kill c (arm the failure watch first)
  const gone = new Promise<number>((resolve) => {
    void leases.watch((ch) => {
      if (ch.nodeId === "c" && ch.record === undefined) resolve(performance.now());
    });
  });
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
  // counts converge to the acknowledged ones once the owners have applied the log (bounded re-reads)
  const got = await load.converged(p);
  const expected = load.expected();
  const lost = USERS.filter((_, i) => got[i]! < expected[i]!).map((u) => `${u}: ${got[USERS.indexOf(u)]} of ${expected[USERS.indexOf(u)]}`);
  t.same(lost, [], "no acknowledged event lost");
  if (load.failedCalls === 0) t.same(got, expected, "and none applied twice (every call was acknowledged)");
});
