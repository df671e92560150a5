import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "../helpers/nats-server.ts";
import { FAST_CLUSTER, startNode, type NodeProcess } from "../helpers/cluster-nodes.ts";
import { EventLoad, clusterProbe } from "../helpers/cluster-load.ts";

const CLUSTER = "rs";
const SHARDS = 64;
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);

t.test("cluster over NATS - the NATS server restarted (same port, same JetStream folder): nodes reconnect and go on, nothing acknowledged is lost", async (t) => {
  const storeDir = mkdtempSync(join(tmpdir(), "fyp-nats-restart-"));
  t.teardown(() => rmSync(storeDir, { recursive: true, force: true }));
  let server = await startNatsServer({ storeDir });
  t.teardown(() => server.stop());
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.kill9();
  });
  // info level: the nodes log "nats disconnected" / "nats reconnected", which the test waits on
  for (const id of ["a", "b"]) nodes.push(await startNode(server.url, CLUSTER, id, ["--log-level", "info", ...FAST_CLUSTER]));
  const probe = await clusterProbe(server.url, CLUSTER, SHARDS);
  t.teardown(() => probe.close());

  const load = new EventLoad(USERS);
  for (const [i, n] of nodes.entries()) load.add(n.grpc, i * 7);
  t.teardown(() => load.stop());
  await load.reached(300);

  const disconnected = nodes.map((n) => n.nextLog("nats disconnected"));
  await server.stop();
  await Promise.all(disconnected);
  const ackedBefore = load.total;
  const reconnected = nodes.map((n) => n.nextLog("nats reconnected"));
  server = await startNatsServer({ storeDir, port: server.port });
  await Promise.all(reconnected);
  t.pass("both nodes reconnected to the restarted server");

  const afterRestart = load.total;
  await load.more(500);
  await load.stop();
  t.ok(load.total - afterRestart >= 500, `${load.total - afterRestart} events acknowledged after the restart (${afterRestart - ackedBefore} while it came back)`);
  const got = await load.converged(probe);
  const expected = load.expected();
  const lost = USERS.filter((_, i) => got[i]! < expected[i]!).map((u) => `${u}: ${got[USERS.indexOf(u)]} of ${expected[USERS.indexOf(u)]}`);
  t.same(lost, [], `no acknowledged event lost (${load.total} acknowledged, ${load.failedCalls} calls failed: ${[...load.failures].map(([k, v]) => `${k} x${v}`).join(", ")})`);
  if (load.failedCalls === 0) t.same(got, expected, "and none applied twice");
  // calls caught by the outage fail with a status a client retries (never silently)
  const codes = [...load.failures.keys()].map((k) => Number(k.split(" ")[0]));
  t.ok(codes.every((c) => c === 4 || c === 14), `failed calls answered DEADLINE_EXCEEDED or UNAVAILABLE: ${[...load.failures.keys()].join(", ") || "none"}`);
});
