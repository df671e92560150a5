import { hash32, InvalidArgumentError } from "../../protocols/index.ts";
import { WallClock } from "../../actors/index.ts";
import { join } from "node:path";
import { ActorFeedBackend, createFeedNode, startDurableEmbedded, startFeedService, type DurableEmbedded } from "../../cluster/index.ts";
import { tuneServingHeap, type Command } from "../cli.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "serve feeds over gRPC (embedded node + FeedService, health, reflection, Prometheus /metrics)",
  usage: `fyp serve [--host H] [--port P] [--metrics-port P] [--no-metrics] [--tls-cert FILE --tls-key FILE] [--videos N]
  Starts the embedded recommender (synthetic catalog of simulate.videos videos, wall clock) and the gRPC
  FeedService (protocols/grpc/feed.proto) with the standard health service and server reflection.
  Prints one JSON line with the bound addresses on stdout, logs on stderr; SIGINT/SIGTERM shut it down
  gracefully (health NOT_SERVING, in-flight calls finish, state is passivated).
  Defaults (config section grpc): 127.0.0.1:50051, metrics on 127.0.0.1:9464, no TLS, no token.
  Bearer token: set grpc.authToken, e.g. FYP_GRPC__AUTH_TOKEN=... (not a flag: flags show up in ps).
  A non-loopback --host needs TLS (or --set grpc.allowInsecureRemote=true).
  Tail latency on a small machine shared with other work: run node with --single-threaded-gc
  (node --single-threaded-gc --import tsx bin/fyp.ts serve ...): V8's parallel GC waits for helper threads that a
  busy machine does not schedule (scavenges of 24-79 ms instead of 3-10 ms at 1,000 req/s on two shared cores).
  Durability (storage.eventLog=lmdb with stateStore=lmdb, the default): interactions and uploads are committed to an LMDB event
  log in storage.dir/events before they are acknowledged; shards are checkpointed (cluster.checkpointMs) and
  a restart over the same folder replays the log after the checkpoints, also after kill -9.`,
  options: {
    host: { type: "string" },
    port: { type: "string" },
    "metrics-port": { type: "string" },
    "no-metrics": { type: "boolean" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    videos: { type: "string" },
  },
  async run(ctx) {
    const v = ctx.values;
    const overrides: Record<string, unknown> = {};
    if (v.host !== undefined) overrides["grpc.host"] = v.host;
    if (v.port !== undefined) overrides["grpc.port"] = v.port;
    if (v["metrics-port"] !== undefined) overrides["grpc.metrics.port"] = v["metrics-port"];
    if (v["no-metrics"]) overrides["grpc.metrics.enabled"] = false;
    if (v["tls-cert"] !== undefined) overrides["grpc.tls.cert"] = v["tls-cert"];
    if (v["tls-key"] !== undefined) overrides["grpc.tls.key"] = v["tls-key"];
    if (v.videos !== undefined) overrides["simulate.videos"] = v.videos;
    const config = ctx.config(overrides);
    const log = ctx.logger(config);
    tuneServingHeap(config);
    const nodeId = config.node.id === "auto" ? `serve-${process.pid}` : config.node.id;
    // storage.stateStore=memory is a scratch run: nothing is persisted, no event log either
    const durableLog = config.storage.eventLog === "lmdb" && config.storage.stateStore === "lmdb";
    // durable: the checkpoints are the state of record, passivated state goes to a scratch store
    const node = createFeedNode({ config, clock: new WallClock(), log, nodeId, storage: durableLog ? "ephemeral" : "config" });
    const categories = node.feed.catalog.numCategories;
    let durable: DurableEmbedded | undefined;
    let service;
    try {
      if (durableLog) durable = await startDurableEmbedded({ feed: node, dir: join(config.storage.dir, "events"), nodeId, settings: config.cluster, log });
      const backend = durable?.backend ?? new ActorFeedBackend(node.system, nodeId, (msg) => {
        if (msg.category >= categories) throw new InvalidArgumentError("category", `must be below ${categories} (this catalog's categories)`, msg.category);
        return "v" + node.upload({ category: msg.category, durationMs: msg.durationMs, authorId: hash32(msg.authorId) & 0x7fffffff });
      });
      service = await startFeedService({ grpc: config.grpc, backend, sink: durable?.node.sink, log, cluster: config.node.cluster });
    } catch (e) {
      await durable?.close();
      await node.close();
      throw e;
    }
    ctx.out(
      JSON.stringify({
        grpc: service.grpc.address,
        tls: service.grpc.tls,
        auth: service.gateway.requiresToken,
        metrics: service.metricsPort === null ? null : `http://${config.grpc.metrics.host}:${service.metricsPort}/metrics`,
        videos: node.feed.catalog.size,
        node: nodeId,
        pid: process.pid,
      }),
    );
    const signal = await new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    log.info({ signal }, "shutting down");
    await service.close(5000);
    await durable?.close();
    await node.close();
    return 0;
  },
};
