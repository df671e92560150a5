import t from "tap";
import { KvLeaseTable, createFeedClient, type MemberRecord } from "../../cluster/index.ts";
import { startTestCluster, startNode, type NodeProcess } from "../helpers/cluster-nodes.ts";
import { clusterProbe } from "../helpers/cluster-load.ts";

const CLUSTER = "up";
const SHARDS = 64;
/** startNode's catalog: --videos 300 */
const BASE = 300;
const UPLOADS = 12;

t.test("cluster over NATS - an upload handled by one node reaches every node's catalog and content index, also a node joining later", async (t) => {
  const { server, nodes } = await startTestCluster(t, CLUSTER, ["a", "b"]);
  const [a, b] = nodes as [NodeProcess, NodeProcess];
  const probe = await clusterProbe(server.url, CLUSTER, SHARDS);
  t.teardown(() => probe.close());
  const leases = await KvLeaseTable.open(probe.transport.connection, CLUSTER);
  const latest = new Map<string, MemberRecord>();
  const waiters: { check: () => boolean; resolve: () => void }[] = [];
  const watcher = await leases.watch((c) => {
    if (c.record === undefined) latest.delete(c.nodeId);
    else latest.set(c.nodeId, c.record);
    for (let k = waiters.length - 1; k >= 0; k--) if (waiters[k]!.check()) waiters.splice(k, 1)[0]!.resolve();
  });
  t.teardown(() => watcher.stop());
  /** Resolves once the nodes' leases report `videos` catalog entries and as many indexed vectors. */
  const reported = (ids: string[], videos: number) => {
    const check = () => ids.every((id) => latest.get(id)?.info.videos === String(videos) && latest.get(id)?.info.indexed === String(videos));
    return check() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ check, resolve }));
  };
  await reported(["a", "b"], BASE);

  const clients = [createFeedClient({ target: `grpc://${a.grpc}` }), createFeedClient({ target: `grpc://${b.grpc}` })];
  t.teardown(() => clients.forEach((c) => c.close()));
  // concurrent uploads through both nodes: ids are claimed cluster-wide, none given twice
  const ids = await Promise.all(
    Array.from({ length: UPLOADS }, (_, i) => clients[i % 2]!.uploadVideo({ authorId: `author${i}`, durationMs: 15_000 + i, category: i % 5, title: `upload ${i}` }).then((r) => r.videoId)),
  );
  t.same([...ids].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))), Array.from({ length: UPLOADS }, (_, i) => `v${BASE + i}`), "ids v300.. claimed once each across both nodes");
  await reported(["a", "b"], BASE + UPLOADS);
  t.pass(`both nodes have ${BASE + UPLOADS} videos in their catalogs and content indexes`);

  // a node joining later gets every earlier upload before it serves
  const c = await startNode(server.url, CLUSTER, "c");
  nodes.push(c);
  await reported(["a", "b", "c"], BASE + UPLOADS);
  t.pass("a node started after the uploads has them too");

  // each upload also reached its video actor through the event log (on the viral ladder: stage >= 0)
  const cc = createFeedClient({ target: `grpc://${c.grpc}` });
  t.teardown(() => cc.close());
  const stages: number[] = [];
  for (const id of ids) {
    let s = await cc.getVideoStats({ videoId: id });
    for (let round = 0; s.stage < 0 && round < 100; round++) {
      await probe.transport.flush();
      s = await cc.getVideoStats({ videoId: id });
    }
    stages.push(s.stage);
  }
  t.ok(stages.every((s) => s >= 0), `every uploaded video's actor has it on the viral ladder (stages ${stages.join(",")})`);
  const titles = await Promise.all(ids.map((id) => cc.getVideoStats({ videoId: id }).then((s) => s.title)));
  t.same(titles.sort(), Array.from({ length: UPLOADS }, (_, i) => `upload ${i}`).sort(), "each video's actor keeps its upload's title, whichever node took the upload");
});
