import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { hash32, InvalidArgumentError } from "../../protocols/index.ts";
import { SyntheticFeedCatalog, createRng, openOnnxSession, readFeedRanker } from "../../models/index.ts";
import { WallClock } from "../../actors/index.ts";
import {
  ClusterFeedBackend, JetStreamModelStore, KvUploadCatalog, ModelSyncAgent, NatsTransport, SyncedFeedRanker, connectClusterNode, createFeedNode, modelSyncService,
  modelsDirTrainer, readClusterMembers, startFeedService, NodeFeedLog, incrementalFeedTrainer,
} from "../../cluster/index.ts";
import { tuneServingHeap, type Command } from "../cli.ts";

export const nodeCommand: Command = {
  name: "node",
  summary: "run a cluster node: joins a NATS cluster, owns its shards, serves gRPC (any node routes to the owner)",
  usage: `fyp node --nats nats://HOST:PORT [--cluster NAME] [--node-id ID] [--port P] [--no-metrics] [--videos N]
  Joins cluster NAME (config node.cluster) through NATS with JetStream: a lease in the KV bucket
  fyp_<NAME>_members, shards placed by rendezvous hashing, events in the stream FYP_<NAME>_EVENTS,
  checkpoints in fyp_<NAME>_ckpt. Refused when the cluster runs another protocol version or shard count.
  Prints one JSON line (node id, gRPC address, owned shards) once it has its shards; SIGTERM/SIGINT hand
  the shards over and leave gracefully. Settings: config section cluster (heartbeatMs, leaseMs, …).
  Model sync: the node serves the cluster's current version of cluster.modelSync.model from the object
  store fyp_<NAME>_models (the prior ranker until one is pushed) and hot-swaps to every new one. With
  cluster.modelSync.schedule, coord/model-sync runs sparse/dense rounds (sparseIntervalMs, denseIntervalMs)
  that publish the newest version trained into ranking.modelsDir/<model>/. With cluster.modelSync.train,
  the node records its served items' features with their ReportEvents outcomes, and a round with at least
  minRows rows trains a child of the served version in process (parent weights: a version this node
  trained, ranking.modelsDir/<model>/<served>/, or cluster.modelSync.baseModel) and publishes it.`,
  options: {
    nats: { type: "string" },
    cluster: { type: "string" },
    "node-id": { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "no-metrics": { type: "boolean" },
    videos: { type: "string" },
  },
  async run(ctx) {
    const v = ctx.values;
    if (typeof v.nats !== "string") throw new Error("fyp node: --nats nats://HOST:PORT is required");
    const overrides: Record<string, unknown> = { "storage.stateStore": "memory" };
    if (v.cluster !== undefined) overrides["node.cluster"] = v.cluster;
    if (v["node-id"] !== undefined) overrides["node.id"] = v["node-id"];
    if (v.host !== undefined) overrides["grpc.host"] = v.host;
    if (v.port !== undefined) overrides["grpc.port"] = v.port;
    if (v["no-metrics"]) overrides["grpc.metrics.enabled"] = false;
    if (v.videos !== undefined) overrides["simulate.videos"] = v.videos;
    const config = ctx.config(overrides);
    const log = ctx.logger(config);
    tuneServingHeap(config);
    const nodeId = config.node.id === "auto" ? `node-${process.pid}` : config.node.id;
    const ms = config.cluster.modelSync;
    const ranker = new SyncedFeedRanker({ dims: config.dims.content, watchRatioCap: config.ranking.watchRatioCap, log });
    let models: JetStreamModelStore | undefined;
    const latest = modelsDirTrainer(config.ranking.modelsDir, ms.model);
    // In-process incremental training: every node records (it may host coord/model-sync later); the host trains.
    const feedLog = ms.train
      ? new NodeFeedLog({
        dims: config.dims.content, watchRatioCap: config.ranking.watchRatioCap, skipFastMs: 3000, completeRatio: 0.9, maxRows: ms.maxRows,
        idleTimeoutMs: ms.rowTimeoutMs, durationOf: (id) => feedNode.feed.catalog.get(id)?.durationMs,
      })
      : undefined;
    const trainer = (() => {
      if (feedLog === undefined) return latest;
      const base = readFeedRanker(ms.baseModel);
      return incrementalFeedTrainer({
        log: feedLog, minRows: ms.minRows, base: { card: base.card, tfjs: base.tfjs }, modelsDir: config.ranking.modelsDir,
        fit: { holdoutShare: 0.2, epochs: config.ranking.incrementalEpochs, batchSize: Math.min(config.ranking.batchSize, 256), learningRate: config.ranking.learningRate / 2, seed: config.ranking.seed },
        openSession: openOnnxSession, fallback: latest, logger: log, nodeId,
      });
    })();
    const modelSync = modelSyncService({
      system: () => feedNode.system, store: () => models, trainer, model: ms.model,
      sparseIntervalMs: ms.sparseIntervalMs, denseIntervalMs: ms.denseIntervalMs, nodeId, log,
    });
    const feedNode = createFeedNode({
      config, clock: new WallClock(), log, nodeId, storage: "ephemeral", ranker: feedLog?.wrap(ranker.ranker) ?? ranker.ranker, extraServices: ms.schedule ? { modelSync } : {},
      ...(feedLog !== undefined ? { trace: feedLog.trace } : {}),
    });
    const cluster = await connectClusterNode({
      servers: v.nats, cluster: config.node.cluster, nodeId, settings: config.cluster, system: feedNode.system, readModels: feedNode.feed.readModels, log,
      modelVersion: () => ranker.version,
      status: () => ({ videos: String(feedNode.feed.catalog.size), indexed: String(feedNode.contentIndex.size) }),
    });
    // Uploads: a cluster-wide catalog id, replicated into every node's catalog and content index (all
    // earlier uploads first, before this node serves).
    const uploads = await KvUploadCatalog.open(cluster.transport.connection, config.node.cluster, config.cluster.replicas);
    uploads.onError = (msg) => log.error(msg);
    await uploads.watch((r) => feedNode.addVideo(r));
    const categories = feedNode.feed.catalog.numCategories;
    const uploadRng = createRng(hash32(nodeId) ^ Date.now());
    const backend = new ClusterFeedBackend(feedNode.system, nodeId, async (msg) => {
      if (msg.category >= categories) throw new InvalidArgumentError("category", `must be below ${categories} (this catalog's categories)`, msg.category);
      const catalog = feedNode.feed.catalog;
      if (!(catalog instanceof SyntheticFeedCatalog)) throw new Error("uploads need the synthetic feed catalog (content vectors by category)");
      const vector = catalog.vectorFor(msg.category, uploadRng);
      const r = await uploads.claim(feedNode.feed.catalog.size, {
        category: msg.category, authorId: hash32(msg.authorId) & 0x7fffffff, durationMs: msg.durationMs, vector, at: msg.at, by: nodeId,
      });
      feedNode.addVideo(r);
      return "v" + r.id;
    });
    models = cluster.models;
    // A trained feed ranker named in config (feed.ranker) seeds the cluster's model when none was published yet.
    if (config.feed.ranker !== "prior" && (await cluster.models.current(ms.model)) === undefined) {
      const f = readFeedRanker(config.feed.ranker);
      await cluster.models.publish({ model: ms.model, version: f.card.version, parent: f.card.parent, kind: "seed", by: nodeId, metrics: {} }, f.onnx);
    }
    const agent = new ModelSyncAgent({ store: cluster.models, model: ms.model, target: ranker, log, onSwapped: () => cluster.node.membership.renewNow() });
    await agent.start();
    const service = await startFeedService({ grpc: config.grpc, backend, sink: cluster.node.sink, log, cluster: config.node.cluster });
    cluster.node.membership.setInfo({ grpc: service.grpc.address });
    await cluster.node.start();
    await cluster.node.shards.whenSettled();
    // coord/model-sync lives on one node; every node re-arms its schedule (timers do not survive a move).
    let ensure: NodeJS.Timeout | undefined;
    if (ms.schedule) {
      const tell = () => feedNode.system.tell("coord/model-sync", { type: "model-sync.ensure" });
      tell();
      ensure = setInterval(tell, Math.min(ms.sparseIntervalMs, 30_000));
      ensure.unref();
    }
    ctx.out(JSON.stringify({ node: nodeId, grpc: service.grpc.address, cluster: config.node.cluster, ownedShards: cluster.node.shards.ownedCount(), pid: process.pid }));
    const signal = await new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    log.info({ signal }, "leaving the cluster");
    if (ensure !== undefined) clearInterval(ensure);
    agent.stop();
    uploads.stop();
    await cluster.node.leave();
    await service.close(5000);
    await cluster.close();
    await feedNode.close();
    await ranker.close();
    return 0;
  },
};

export const clusterCommand: Command = {
  name: "cluster",
  summary: "cluster tools: `fyp cluster status --nats URL` (members, shards per member, lag, model versions)",
  usage: `fyp cluster status --nats nats://HOST:PORT [--cluster NAME] [--json]
  Reads the membership leases and the event log's head: one line per member with its state, owned shards,
  last applied event sequence and lag behind the log, served model version, gRPC address.
fyp cluster push-model --nats nats://HOST:PORT --file MODEL.onnx [--version V] [--model NAME] [--cluster NAME]
  Stores the ONNX file as a new version of the synced model (cluster.modelSync.model) in the cluster's
  object store and makes it current: every node hot-swaps to it (requests in flight finish on the old one).`,
  options: {
    nats: { type: "string" }, cluster: { type: "string" }, json: { type: "boolean" }, file: { type: "string" }, version: { type: "string" }, model: { type: "string" },
  },
  async run(ctx) {
    const v = ctx.values;
    if (ctx.positionals[0] === "push-model") {
      if (typeof v.nats !== "string") throw new Error("fyp cluster push-model: --nats nats://HOST:PORT is required");
      if (typeof v.file !== "string") throw new Error("fyp cluster push-model: --file MODEL.onnx is required");
      const config = ctx.config(v.cluster !== undefined ? { "node.cluster": v.cluster } : {});
      const log = ctx.logger(config);
      const model = typeof v.model === "string" ? v.model : config.cluster.modelSync.model;
      const version = typeof v.version === "string" ? v.version : `${model}-${basename(v.file).replace(/\.onnx$/, "")}-${Date.now().toString(36)}`;
      const bytes = new Uint8Array(readFileSync(v.file));
      const transport = await NatsTransport.connect({ servers: v.nats, name: `push-model-${process.pid}`, log });
      try {
        const store = await JetStreamModelStore.open(transport.connection, config.node.cluster, config.cluster.replicas);
        const parent = (await store.current(model))?.version ?? null;
        const info = await store.publish({ model, version, parent, kind: "push", by: `cli-${process.pid}`, metrics: {} }, bytes);
        ctx.out(JSON.stringify(info));
      } finally {
        await transport.close();
      }
      return 0;
    }
    if (ctx.positionals[0] !== "status") throw new Error("fyp cluster: expected a sub-command: status, push-model");
    if (typeof v.nats !== "string") throw new Error("fyp cluster status: --nats nats://HOST:PORT is required");
    const config = ctx.config(v.cluster !== undefined ? { "node.cluster": v.cluster } : {});
    const log = ctx.logger(config);
    const { members, lastEventSeq } = await readClusterMembers(v.nats, config.node.cluster, log);
    const rows = members
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
      .map((m) => ({
        node: m.nodeId, state: m.state, shards: Number(m.info.ownedShards ?? 0), appliedSeq: Number(m.info.appliedSeq ?? 0),
        // how far the node's log follower is behind the log (a node of an older version: its shards' highest applied)
        followedSeq: Number(m.info.followedSeq ?? m.info.appliedSeq ?? 0),
        lag: Math.max(0, lastEventSeq - Number(m.info.followedSeq ?? m.info.appliedSeq ?? 0)), activeActors: Number(m.info.activeActors ?? 0),
        grpc: m.info.grpc ?? "", modelVersion: m.info.modelVersion ?? "prior", videos: Number(m.info.videos ?? 0), indexed: Number(m.info.indexed ?? 0),
      }));
    if (v.json) ctx.out(JSON.stringify({ cluster: config.node.cluster, numShards: config.cluster.numShards, lastEventSeq, members: rows }));
    else {
      ctx.out(`cluster ${config.node.cluster}: ${rows.length} member(s), event log at seq ${lastEventSeq}`);
      for (const r of rows) ctx.out(`  ${r.node}  ${r.state}  shards=${r.shards}  applied=${r.appliedSeq}  followed=${r.followedSeq}  lag=${r.lag}  actors=${r.activeActors}  model=${r.modelVersion}  videos=${r.videos}  grpc=${r.grpc}`);
    }
    return 0;
  },
};
