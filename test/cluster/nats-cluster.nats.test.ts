import t from "tap";
import { jetstreamManager } from "@nats-io/jetstream";
import { subjects } from "../../protocols/index.ts";
import { startNatsCluster } from "../helpers/nats-cluster.ts";
import { FAST_CLUSTER, startNode, type NodeProcess } from "../helpers/cluster-nodes.ts";
import { EventLoad, clusterProbe } from "../helpers/cluster-load.ts";

const CLUSTER = "nc";
const SHARDS = 64;
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);

t.test("cluster over a 3-server NATS cluster (stream and KV with 3 replicas) - one NATS server killed under load: nodes go on, nothing acknowledged is lost", async (t) => {
  const nats = await startNatsCluster(3);
  t.teardown(() => nats.stop());
  const [s1, s2, s3] = nats.servers as [typeof nats.servers[0], typeof nats.servers[0], typeof nats.servers[0]];
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.kill9();
  });
  const replicated = ["--set", "cluster.replicas=3", ...FAST_CLUSTER];
  // a knows only s1 (it learns the others from the cluster's gossip); b knows all three, s2 first
  nodes.push(await startNode(s1.url, CLUSTER, "a", ["--log-level", "info", ...replicated]));
  nodes.push(await startNode([s2.url, s3.url, s1.url].join(","), CLUSTER, "b", replicated));
  const [a, b] = nodes as [NodeProcess, NodeProcess];
  const probe = await clusterProbe([s3.url, s2.url].join(","), CLUSTER, SHARDS);
  t.teardown(() => probe.close());

  const jsm = await jetstreamManager(probe.transport.connection);
  const info = await jsm.streams.info(subjects.eventStream(CLUSTER));
  t.equal(info.config.num_replicas, 3, "the event stream keeps 3 replicas");
  t.equal(info.cluster?.replicas?.length, 2, "a leader and two replicas");
  for (const bucket of [subjects.membersBucket(CLUSTER), subjects.checkpointBucket(CLUSTER)]) {
    t.equal((await jsm.streams.info(`KV_${bucket}`)).config.num_replicas, 3, `KV bucket ${bucket} keeps 3 replicas`);
  }

  const load = new EventLoad(USERS);
  load.add(a.grpc, 0);
  load.add(b.grpc, 7);
  t.teardown(() => load.stop());
  await load.reached(300);
  const reconnected = a.nextLog("nats reconnected", 30_000);
  await s1.stop(true);
  const r = await reconnected;
  t.ok(r.server !== undefined && !String(r.server).includes(s1.url.split(":").pop()!), `a reconnected to another server of the cluster (${String(r.server)})`);
  const atKill = load.total;
  await load.more(400);
  await load.stop();
  const failures = [...load.failures].map(([k, v]) => `${k} x${v}`).join(", ");
  t.ok(load.total - atKill >= 400, `${load.total - atKill} events acknowledged after the kill (${load.failedCalls} calls failed${failures === "" ? "" : `: ${failures}`})`);

  // Followers whose consumer lived on the killed server resume once JetStream has re-elected its leaders
  // (seconds): re-read (bounded by rounds of 40 asks each) until the counts reach the acknowledged ones.
  const got = await load.converged(probe, 3000);
  // calls refused while JetStream re-elected carry retryable statuses (UNAVAILABLE, DEADLINE_EXCEEDED): never acknowledged
  t.same([...load.failures.keys()].filter((k) => !/^(14|4)\b/.test(k)), [], "failed calls are UNAVAILABLE or DEADLINE_EXCEEDED only");
  const expected = load.expected();
  const lost = USERS.flatMap((u, i) => (got[i]! < expected[i]! ? [`${u}: ${got[i]} of ${expected[i]}`] : []));
  t.same(lost, [], "no acknowledged event lost");
  if (load.failedCalls === 0) t.same(got, expected, "and none applied twice (every call was acknowledged)");
});
