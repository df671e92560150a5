import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { ActorKind, actorId, createCodec, type SessionMsg, type VideoUpload } from "../../protocols/index.ts";
import type { ActorSystem, ReadModels } from "../../actors/index.ts";
import { ActorFeedBackend } from "../gateway/actor-feed-backend.ts";
import { JetStreamEventLog, KvCheckpointStore } from "../durability/jetstream.ts";
import { KvLeaseTable } from "../membership/kv-leases.ts";
import { JetStreamModelStore } from "../durability/model-store.ts";
import type { MemberRecord } from "../membership/membership-table.ts";
import { NatsTransport } from "../transport/nats-transport.ts";
import { ClusterNode, type ClusterSettings } from "./cluster-node.ts";

/**
 * The gateway's backend in a cluster: feeds and stats are asks routed to the owning node; interactions
 * and uploads reach their actors through the durable event log (the DurableEventSink), not by a tell.
 * With a `catalogUpload`, an upload first enters the cluster's catalog (a cluster-wide id, replicated to
 * every node's catalog and index: KvUploadCatalog) and the video actor is `v<id>`.
 */
export class ClusterFeedBackend extends ActorFeedBackend {
  constructor(
    system: ActorSystem,
    nodeId: string,
    private readonly catalogUpload?: (msg: VideoUpload) => Promise<string>,
  ) {
    super(system, nodeId);
  }
  override tellSession(_userId: string, _msg: SessionMsg): void {}
  override uploadVideo(requestedId: string, msg: VideoUpload): string | Promise<string> {
    if (this.catalogUpload !== undefined) return this.catalogUpload(msg);
    return requestedId === "" ? `v-${randomUUID()}` : requestedId;
  }
}

export interface NatsClusterNodeOptions {
  servers: string | string[];
  cluster: string;
  nodeId: string;
  settings: ClusterSettings & { eventLogMaxAgeMs: number; eventDedupWindowMs?: number; replicas?: number };
  system: ActorSystem;
  readModels?: ReadModels;
  info?: Record<string, string>;
  modelVersion?: () => string;
  /** More figures published with the lease (catalog size…). */
  status?: () => Record<string, string>;
  log: Logger;
}

/** A ClusterNode over NATS: NatsTransport, KV leases, the JetStream event log and KV checkpoints. */
export async function connectClusterNode(o: NatsClusterNodeOptions): Promise<{ node: ClusterNode; transport: NatsTransport; models: JetStreamModelStore; close(): Promise<void> }> {
  const transport = await NatsTransport.connect({ servers: o.servers, name: o.nodeId, log: o.log, reconnectWaitMs: 100 });
  const nc = transport.connection;
  const [table, eventLog, checkpoints, models] = await Promise.all([
    KvLeaseTable.open(nc, o.cluster, o.settings.replicas),
    JetStreamEventLog.open(nc, { cluster: o.cluster, maxAgeMs: o.settings.eventLogMaxAgeMs, dedupWindowMs: o.settings.eventDedupWindowMs, replicas: o.settings.replicas, log: o.log }),
    KvCheckpointStore.open(nc, o.cluster, o.settings.replicas),
    JetStreamModelStore.open(nc, o.cluster, o.settings.replicas),
  ]);
  const node = new ClusterNode({
    cluster: o.cluster, nodeId: o.nodeId, settings: o.settings, system: o.system, transport, codec: createCodec(), table, eventLog, checkpoints,
    readModels: o.readModels, info: o.info, modelVersion: o.modelVersion, status: o.status, log: o.log,
  });
  return {
    node,
    transport,
    models,
    async close() {
      await eventLog.close();
      await transport.close();
    },
  };
}

/** The cluster's members (with the figures they publish in their leases) and the event log's head. */
export async function readClusterMembers(servers: string, cluster: string, log: Logger): Promise<{ members: MemberRecord[]; lastEventSeq: number }> {
  const transport = await NatsTransport.connect({ servers, name: `status-${process.pid}`, log });
  try {
    const table = await KvLeaseTable.open(transport.connection, cluster);
    const eventLog = await JetStreamEventLog.open(transport.connection, { cluster, maxAgeMs: 7 * 86_400_000, log });
    return { members: await table.list(), lastEventSeq: await eventLog.lastSeq() };
  } finally {
    await transport.close();
  }
}
