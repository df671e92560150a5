import t from "tap";
import { shardOf } from "../../protocols/index.ts";
import { ownerOf } from "../../cluster/index.ts";
import { startTestCluster, startNode, type NodeProcess } from "../helpers/cluster-nodes.ts";
import { EventLoad, clusterProbe, leaseRenewals } from "../helpers/cluster-load.ts";

const CLUSTER = "rb";
const SHARDS = 64;
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);

t.test("cluster over NATS - graceful leave and join of fyp node processes under load: no event lost, none applied twice", async (t) => {
  const { server, nodes } = await startTestCluster(t, CLUSTER, ["a", "b", "c"]);
  const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  const probe = await clusterProbe(server.url, CLUSTER, SHARDS);
  t.teardown(() => probe.close());
  const onC = USERS.filter((u) => ownerOf(shardOf(`session/${u}`, SHARDS), ["a", "b", "c"]) === "c");
  const onD = USERS.filter((u) => ownerOf(shardOf(`session/${u}`, SHARDS), ["a", "b", "d"]) === "d");
  t.ok(onC.length > 0 && onD.length > 0, `${onC.length} users move off c, ${onD.length} onto d`);

  const load = new EventLoad(USERS);
  load.add(a.grpc, 0);
  load.add(b.grpc, 7);
  t.teardown(() => load.stop());
  await load.reached(300);

  // c leaves gracefully (SIGTERM): it hands its shards over and exits 0
  t.equal(await c.stop(), 0, "c left and exited 0");
  await load.more(300);
  const d = await startNode(server.url, CLUSTER, "d");
  nodes.push(d);
  await load.more(300);
  await load.stop();

  const renewals = await leaseRenewals(probe, CLUSTER);
  t.teardown(() => renewals.stop());
  const members = (await renewals.leases.list()).sort((x, y) => x.nodeId.localeCompare(y.nodeId));
  t.same(members.map((m) => m.nodeId), ["a", "b", "d"], "c's lease is gone, d holds one");
  t.ok(Number(members.find((m) => m.nodeId === "d")!.info.ownedShards) > 0, `d owns ${members.find((m) => m.nodeId === "d")!.info.ownedShards} shards`);

  t.equal(load.failedCalls, 0, `no call failed while shards moved (${[...load.failures].map(([k, v]) => `${k}: ${v}`).join(", ")})`);
  // re-read after each lease renewal (at most 100): the owners apply the log asynchronously
  const got = await load.converged(probe, 100, renewals.next);
  t.same(got, load.expected(), `each of ${load.total} acknowledged events counted exactly once`);
});
