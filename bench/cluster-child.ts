/**
 * The other process of the cluster bench. Prints JSON lines on stdout.
 *  - `target URL CLUSTER SHARDS`: a RemoteRouter owning every shard (tell/ask target) plus a plain NATS
 *    subscriber for the raw baseline; `bench.<cluster>.done` answers { told, raw } once the actors are idle.
 *  - `member URL CLUSTER NODE_ID`: a ClusterNode with the default cluster settings; joins when it reads
 *    `join` on stdin, prints { event: "settled", owned } once its shards are its own.
 */
import { createInterface } from "node:readline";
import { createCodec } from "../protocols/index.ts";
import { RemoteRouter } from "../actors/index.ts";
import { NatsTransport, connectClusterNode, silentLogger } from "../cluster/index.ts";
import { loadConfig } from "../configs/index.ts";
import { benchSystem, told } from "./cluster-kit.ts";

const [mode, url, cluster, arg] = process.argv.slice(2) as [string, string, string, string];
const say = (o: object): void => void process.stdout.write(JSON.stringify(o) + "\n");
const codec = createCodec();

if (mode === "target") {
  const numShards = Number(arg);
  const transport = await NatsTransport.connect({ servers: url, name: "bench-target", log: silentLogger() });
  const system = benchSystem();
  const router = new RemoteRouter({
    system, transport, codec, cluster, nodeId: "target", log: silentLogger(),
    ownership: { numShards, isLocalShard: () => true, localShards: () => Array.from({ length: numShards }, (_, s) => s) },
  });
  router.start();
  let raw = 0;
  transport.subscribe(`bench.${cluster}.raw`, () => void raw++);
  // Messages from one connection arrive in order, so this request comes after everything sent before it.
  transport.subscribe(`bench.${cluster}.done`, (_d, reply) => {
    void system.whenIdle().then(() => transport.publish(reply!, codec.encode({ told: told.n, raw })));
  });
  await transport.flush();
  say({ event: "ready" });
} else if (mode === "member") {
  const config = loadConfig({ env: {} });
  const system = benchSystem();
  const { node } = await connectClusterNode({
    servers: url, cluster, nodeId: arg, settings: config.cluster, system, log: silentLogger(),
  });
  say({ event: "connected" });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() !== "join") continue;
    await node.start();
    await node.shards.whenSettled();
    say({ event: "settled", owned: node.shards.ownedCount() });
  }
} else {
  process.stderr.write(`cluster-child: unknown mode ${mode}\n`);
  process.exitCode = 2;
}
