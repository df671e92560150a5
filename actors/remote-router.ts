import type { Logger } from "pino";
import {
  PROTOCOL_VERSION,
  ProtocolMismatchError,
  errorFromWire,
  errorMessage,
  errorToWire,
  shardOf,
  subjects,
  type ActorId,
  type Batch,
  type Codec,
  type Envelope,
  type ReplyEnvelope,
  type Subscription,
  type Transport,
} from "../protocols/index.ts";
import type { ActorSystem } from "./actor-system.ts";

/** Which shards this node hosts. The cluster layer implements it from placement and membership. */
export interface ShardOwnership {
  readonly numShards: number;
  isLocalShard(shard: number): boolean;
  localShards(): Iterable<number>;
}

export interface RemoteRouterOptions {
  system: ActorSystem;
  transport: Transport;
  codec: Codec;
  cluster: string;
  nodeId: string;
  ownership: ShardOwnership;
  log: Logger;
}

/**
 * Sends messages for actors on other nodes through the Transport and receives messages for this node's
 * shards. Envelopes for one shard queued within one tick travel as one Batch.
 */
export class RemoteRouter {
  private readonly o: RemoteRouterOptions;
  private readonly inbox: string;
  private readonly outgoing = new Map<number, Envelope[]>();
  private flushQueued = false;
  private readonly subs = new Map<number, Subscription>();
  private readonly held = new Map<number, Envelope[]>();
  private inboxSub: Subscription | null = null;
  private readonly log: Logger;
  /** Counters for tests and metrics. */
  readonly counters = { sentEnvelopes: 0, sentBatches: 0, receivedEnvelopes: 0, rejected: 0 };

  constructor(opts: RemoteRouterOptions) {
    this.o = opts;
    this.inbox = subjects.inbox(opts.cluster, opts.nodeId);
    this.log = opts.log.child({ module: "remote-router", node: opts.nodeId });
  }

  start(): void {
    this.inboxSub = this.o.transport.subscribe(this.inbox, (data) => this.onReply(data));
    for (const s of this.o.ownership.localShards()) this.acquire(s);
    this.o.system.attachRemote(this);
  }

  /**
   * Starts receiving a shard's messages. Owners subscribe in one queue group, so while two nodes overlap
   * during a hand-off each message reaches exactly one of them (the releasing one forwards what it held).
   */
  acquire(shard: number): void {
    if (this.subs.has(shard)) return;
    this.subs.set(shard, this.o.transport.subscribe(subjects.shard(this.o.cluster, shard), (d) => this.onShard(d, shard), { queue: "owners" }));
  }

  /** Stops receiving a shard's messages. */
  release(shard: number): void {
    this.subs.get(shard)?.unsubscribe();
    this.subs.delete(shard);
  }

  /** Whether this router is subscribed to a shard's subject. */
  isSubscribed(shard: number): boolean {
    return this.subs.has(shard);
  }

  /** Buffers (does not deliver) what arrives for a shard until `resume` or `releaseHeld` (hand-off). */
  hold(shard: number): void {
    if (!this.held.has(shard)) this.held.set(shard, []);
  }

  /** Delivers what a shard held, in arrival order, and delivers directly from now on. */
  resume(shard: number): void {
    const q = this.held.get(shard);
    if (q === undefined) return;
    this.held.delete(shard);
    for (const env of q) this.deliver(env);
  }

  /** Unsubscribes from a held shard and returns what it held (to be forwarded to the new owner). */
  releaseHeld(shard: number): Envelope[] {
    this.release(shard);
    const q = this.held.get(shard) ?? [];
    this.held.delete(shard);
    return q;
  }

  /** Re-publishes envelopes to a shard's subject (after a hand-off they reach its new owner). */
  forward(shard: number, envelopes: Envelope[]): void {
    if (envelopes.length === 0) return;
    this.o.transport.publish(subjects.shard(this.o.cluster, shard), this.o.codec.encode({ v: PROTOCOL_VERSION, envelopes } satisfies Batch));
  }

  isLocal(id: ActorId): boolean {
    return this.o.ownership.isLocalShard(shardOf(id, this.o.ownership.numShards));
  }

  send(to: ActorId, msg: { type: string }, corr: number | undefined): void {
    const shard = shardOf(to, this.o.ownership.numShards);
    const env: Envelope =
      corr === undefined ? { v: PROTOCOL_VERSION, to, msg } : { v: PROTOCOL_VERSION, to, msg, replyTo: this.inbox, corr };
    let q = this.outgoing.get(shard);
    if (q === undefined) this.outgoing.set(shard, (q = []));
    q.push(env);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  /** Publishes every queued batch now. */
  readonly flush = (): void => {
    this.flushQueued = false;
    for (const [shard, envelopes] of this.outgoing) {
      const batch: Batch = { v: PROTOCOL_VERSION, envelopes };
      this.o.transport.publish(subjects.shard(this.o.cluster, shard), this.o.codec.encode(batch));
      this.counters.sentEnvelopes += envelopes.length;
      this.counters.sentBatches++;
    }
    this.outgoing.clear();
  };

  reply(subject: string, corr: number, ok: boolean, value: unknown): void {
    const r: ReplyEnvelope = ok
      ? { v: PROTOCOL_VERSION, corr, ok, value }
      : { v: PROTOCOL_VERSION, corr, ok, error: errorToWire(value) };
    this.o.transport.publish(subject, this.o.codec.encode(r));
  }

  private onShard(data: Uint8Array, shard: number): void {
    let batch: Batch;
    try {
      batch = this.o.codec.decode<Batch>(data);
      if (batch.v !== PROTOCOL_VERSION) throw new ProtocolMismatchError("protocol version", PROTOCOL_VERSION, batch.v);
    } catch (e) {
      this.counters.rejected++;
      this.log.warn({ err: errorMessage(e) }, "batch rejected");
      return;
    }
    const held = this.held.get(shard);
    for (const env of batch.envelopes) {
      this.counters.receivedEnvelopes++;
      if (held !== undefined) held.push(env);
      else this.deliver(env);
    }
  }

  private deliver(env: Envelope): void {
    const target = env.replyTo !== undefined && env.corr !== undefined ? { subject: env.replyTo, corr: env.corr } : undefined;
    try {
      this.o.system.deliverLocal(env.to, env.msg as { type: string }, target);
    } catch (e) {
      if (target !== undefined) this.reply(target.subject, target.corr, false, e);
      else this.log.warn({ to: env.to, err: errorMessage(e) }, "remote tell dropped");
    }
  }

  private onReply(data: Uint8Array): void {
    let r: ReplyEnvelope;
    try {
      r = this.o.codec.decode<ReplyEnvelope>(data);
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, "reply rejected");
      return;
    }
    if (r.ok) this.o.system.settleAsk(r.corr, true, r.value);
    else this.o.system.settleAsk(r.corr, false, errorFromWire(r.error ?? { code: "", message: "unknown", retryable: false }));
  }

  async stop(): Promise<void> {
    this.flush();
    for (const s of this.subs.values()) s.unsubscribe();
    this.subs.clear();
    this.inboxSub?.unsubscribe();
  }
}
