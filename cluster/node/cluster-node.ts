import type { Logger } from "pino";
import { PROTOCOL_VERSION, errorMessage, subjects, type Codec, type ReadModelUpdate, type Subscription, type Transport } from "../../protocols/index.ts";
import { RemoteRouter, type ActorSystem, type ReadModels } from "../../actors/index.ts";
import type { CheckpointStore, EventLog } from "../durability/event-log.ts";
import { DurableEventSink } from "../durability/durable-event-sink.ts";
import { Membership } from "../membership/membership.ts";
import type { MembershipTable } from "../membership/membership-table.ts";
import { ShardManager } from "../sharding/shard-manager.ts";

/** The `cluster` config section's fields a node runs with. */
export interface ClusterSettings {
  numShards: number;
  heartbeatMs: number;
  leaseMs: number;
  checkpointMs: number;
  handoffTimeoutMs: number;
}

export interface ClusterNodeOptions {
  cluster: string;
  nodeId: string;
  settings: ClusterSettings;
  system: ActorSystem;
  transport: Transport;
  codec: Codec;
  table: MembershipTable;
  eventLog: EventLog;
  checkpoints: CheckpointStore;
  /** The node's read-model replica: coordinators' updates are broadcast to every node's replica. */
  readModels?: ReadModels;
  /** Addresses shown by `fyp cluster status` (gRPC endpoint…). */
  info?: Record<string, string>;
  log: Logger;
  /** Protocol version announced at join (tests of the join check). */
  protocolVersion?: number;
  /** The served model's version, published with the lease (`fyp cluster status`). */
  modelVersion?: () => string;
  /** More figures published with the lease (catalog size…). */
  status?: () => Record<string, string>;
}

/** What `fyp cluster status` shows of one node. */
export interface ClusterNodeStatus {
  nodeId: string;
  state: string;
  members: readonly string[];
  ownedShards: number;
  appliedSeq: number;
  activeActors: number;
  modelVersion?: string;
  info: Record<string, string>;
}

/** How long an acknowledged append may take to come back through the node's own log follower before it warns (see watchFollower). */
const FOLLOWER_WARN_MS = 3_000;

/**
 * One member of a cluster: the actor system behind a RemoteRouter whose shard ownership follows
 * membership + placement, the durable event path (log -> owner), checkpoints, and read-model broadcast.
 */
export class ClusterNode {
  readonly membership: Membership;
  readonly shards: ShardManager;
  readonly router: RemoteRouter;
  readonly sink: DurableEventSink;
  private bcastSub: Subscription | null = null;
  private readonly log: Logger;

  constructor(private readonly o: ClusterNodeOptions) {
    this.log = o.log.child({ module: "cluster-node", node: o.nodeId });
    this.membership = new Membership({
      table: o.table, nodeId: o.nodeId, protocolVersion: o.protocolVersion ?? PROTOCOL_VERSION, numShards: o.settings.numShards,
      heartbeatMs: o.settings.heartbeatMs, leaseMs: o.settings.leaseMs, info: o.info, log: o.log,
      // called at every heartbeat, for the lease
      status: () => {
        this.watchFollower();
        return {
          claims: this.shards.claims(), ownedShards: String(this.shards.ownedCount()), appliedSeq: String(this.shards.appliedSeq()),
          followedSeq: String(this.shards.followed()), activeActors: String(o.system.stats().active),
          ...(o.modelVersion === undefined ? {} : { modelVersion: o.modelVersion() }),
          ...o.status?.(),
        };
      },
    });
    // The router asks `shards` which shards are local; `shards` drives the router's subscriptions.
    let shards: ShardManager | undefined;
    this.router = new RemoteRouter({
      system: o.system, transport: o.transport, codec: o.codec, cluster: o.cluster, nodeId: o.nodeId, log: o.log,
      ownership: {
        numShards: o.settings.numShards,
        isLocalShard: (s) => shards!.isLocalShard(s),
        localShards: () => shards!.localShards(),
      },
    });
    shards = new ShardManager({
      nodeId: o.nodeId, cluster: o.cluster, numShards: o.settings.numShards, system: o.system, router: this.router, transport: o.transport,
      codec: o.codec, membership: this.membership, eventLog: o.eventLog, checkpoints: o.checkpoints, checkpointMs: o.settings.checkpointMs,
      handoffTimeoutMs: o.settings.handoffTimeoutMs, log: o.log,
    });
    this.shards = shards;
    this.sink = new DurableEventSink(o.eventLog, o.codec, o.settings.numShards);
  }

  /** Joins the cluster (ProtocolMismatchError on another protocol version or shard count) and takes its shards. */
  async start(): Promise<void> {
    this.router.start();
    const rm = this.o.readModels;
    if (rm !== undefined) {
      const subject = subjects.broadcast(this.o.cluster, "readmodels");
      this.bcastSub = this.o.transport.subscribe(subject, (d) => {
        try {
          rm.apply(this.o.codec.decode<ReadModelUpdate>(d));
        } catch (e) {
          this.log.warn({ err: errorMessage(e) }, "read-model update rejected");
        }
      });
      rm.setPublisher((u) => this.o.transport.publish(subject, this.o.codec.encode(u)));
    }
    await this.o.transport.flush();
    await this.shards.start();
    await this.membership.join();
  }

  /** Graceful leave: hands every shard over (no loss, no duplicates), then removes the lease. */
  async leave(): Promise<void> {
    const out = this.membership.events.next("view", (e) => !e.members.includes(this.o.nodeId));
    await this.membership.leave();
    await out;
    await this.shards.whenSettled();
    // Settled means nothing is owned here any more (we are out of the view).
    await this.membership.leftCluster();
    await this.shutdown();
  }

  /** Stops without handing over (tests of fail-over; the lease expires). */
  async crash(): Promise<void> {
    this.membership.stop();
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    this.bcastSub?.unsubscribe();
    await this.shards.stop();
    await this.router.stop();
  }

  /** This node's acknowledged appends (sequence, when), one per heartbeat that saw a new one, oldest first. */
  private readonly acks: [seq: number, at: number][] = [];
  private followerBehind = false;

  /**
   * Run at every heartbeat (with the lease's status): warns once when an event this node appended (its
   * append acknowledged, and seen by a heartbeat FOLLOWER_WARN_MS ago or earlier) has still not come back
   * through its log follower: the events of its shards, whoever appended them, are then applied late. Says
   * when the follower has passed every such event again (under steady load it never catches up with the
   * very latest append, and need not).
   */
  private watchFollower(): void {
    const now = performance.now();
    const appended = this.sink.lastSeq;
    const acks = this.acks;
    if (appended > (acks[acks.length - 1]?.[0] ?? 0)) acks.push([appended, now]);
    while (acks.length >= 2 && now - acks[1]![1] >= FOLLOWER_WARN_MS) acks.shift();
    const due = acks.length > 0 && now - acks[0]![1] >= FOLLOWER_WARN_MS ? acks[0]! : undefined;
    const followed = this.shards.followed();
    if (due !== undefined && followed < due[0]) {
      if (!this.followerBehind) this.log.warn({ followed, appended: due[0], ms: Math.round(now - due[1]) }, "event log follower behind: an event this node appended has not come back through it");
      this.followerBehind = true;
    } else if (this.followerBehind) {
      this.log.info({ followed }, "event log follower caught up with this node's appends");
      this.followerBehind = false;
    }
  }

  status(): ClusterNodeStatus {
    return {
      nodeId: this.o.nodeId,
      state: this.membership.state,
      members: this.membership.members,
      ownedShards: this.shards.ownedCount(),
      appliedSeq: this.shards.appliedSeq(),
      activeActors: this.o.system.stats().active,
      modelVersion: this.o.modelVersion?.(),
      info: this.o.info ?? {},
    };
  }
}
