import t from "tap";
import { createFeedClient, JetStreamEventLog, silentLogger } from "../../cluster/index.ts";
import { startTestCluster, type NodeProcess } from "../helpers/cluster-nodes.ts";
import { clusterProbe } from "../helpers/cluster-load.ts";

const CLUSTER = "dd";
const SHARDS = 64;
const USERS = ["u1", "u2", "u3", "u4", "u5"];

t.test("cluster over NATS - a batch re-sent after a lost acknowledgement is counted once (event ids + JetStream duplicate window)", async (t) => {
  const { server, nodes } = await startTestCluster(t, CLUSTER, ["a", "b"]);
  const [a, b] = nodes as [NodeProcess, NodeProcess];
  const probe = await clusterProbe(server.url, CLUSTER, SHARDS);
  t.teardown(() => probe.close());
  const clientA = createFeedClient({ target: `grpc://${a.grpc}` });
  const clientB = createFeedClient({ target: `grpc://${b.grpc}` });
  t.teardown(() => {
    clientA.close();
    clientB.close();
  });
  const log = await JetStreamEventLog.open(probe.transport.connection, { cluster: CLUSTER, maxAgeMs: 86_400_000, log: silentLogger() });

  const at = Date.now() - 1000;
  // Two watches per user with their own times (ids derived from the fields), one per user with a client event id.
  const batch = USERS.flatMap((u, i) => [
    { userId: u, type: "EVENT_TYPE_WATCH" as const, videoId: "v1", watchMs: 1000, durationMs: 2000, atMs: at + i },
    { userId: u, type: "EVENT_TYPE_WATCH" as const, videoId: "v2", watchMs: 1500, durationMs: 2000, atMs: at + i },
    { userId: u, type: "EVENT_TYPE_WATCH" as const, videoId: "v3", watchMs: 500, durationMs: 2000, eventId: `evt-${u}-1` },
  ]);
  const before = await log.lastSeq();
  t.equal((await clientA.reportEvents(batch)).accepted, batch.length, "first send acknowledged");
  // The client lost that acknowledgement and retries the same batch, once through the same node and once through another.
  t.equal((await clientA.reportEvents(batch)).accepted, batch.length, "the retry is acknowledged too");
  t.equal((await clientB.reportEvents(batch)).accepted, batch.length, "and a retry through another node as well");
  t.equal((await log.lastSeq()) - before, batch.length, `the log stored ${batch.length} events, not ${3 * batch.length}`);

  // Events without an id nor their own time are distinct events each time (at-least-once for retries).
  const plain = USERS.map((u) => ({ userId: u, type: "EVENT_TYPE_WATCH" as const, videoId: "v4", watchMs: 100, durationMs: 2000 }));
  await clientA.reportEvents(plain);
  await clientA.reportEvents(plain);
  // A marker per user (a like), logged after everything above: once a session has it, it has applied all before it.
  await clientA.reportEvents(USERS.map((u) => ({ userId: u, type: "EVENT_TYPE_LIKE" as const, videoId: "v9", eventId: `marker-${u}` })));
  t.equal((await log.lastSeq()) - before, batch.length + 2 * USERS.length + USERS.length, "plain events stored per send, markers once");

  // (a short watch of a longer video counts as a skip: watches + skips is what the session recorded)
  const state = (u: string) => probe.system.ask<{ watches: number; skips: number; likes: number }>(`session/${u}`, { type: "session.get-state" });
  const got: Record<string, { plays: number; likes: number }> = {};
  for (const u of USERS) {
    let s = await state(u);
    for (let round = 0; s.likes < 1 && round < 5000; round++) {
      await probe.transport.flush();
      s = await state(u);
    }
    got[u] = { plays: s.watches + s.skips, likes: s.likes };
  }
  t.same(got, Object.fromEntries(USERS.map((u) => [u, { plays: 3 + 2, likes: 1 }])), "each session counted its 3 retried watches once and both plain ones");
});
