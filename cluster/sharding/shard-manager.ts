import type { Logger } from "pino";
import { MailboxFullError, errorMessage, shardOf, subjects, type ActorId, type Codec, type Subscription, type Transport } from "../../protocols/index.ts";
import { EventStream, type ActorSystem, type RemoteRouter, type ShardOwnership } from "../../actors/index.ts";
import type { CheckpointStore, EventLog, LogFollower, LoggedEvent, ShardCheckpoint } from "../durability/event-log.ts";
import type { Membership } from "../membership/membership.ts";
import { ownerOf } from "../placement/rendezvous-placement.ts";

/** unowned -> acquiring -> owned -> releasing -> unowned, one machine per shard. */
export type ShardState = "unowned" | "acquiring" | "owned" | "releasing";

export type ShardEvent =
  | { type: "shard"; shard: number; from: ShardState; to: ShardState }
  | { type: "acquired"; shard: number; checkpointSeq: number; replayed: number; waitedForRelease: boolean }
  | { type: "released"; shard: number; seq: number }
  | { type: "checkpointed"; shard: number; seq: number; actors: number }
  /** Every shard is where the current view places it (as far as this node is concerned). */
  | { type: "settled"; owned: number; members: readonly string[] };

/** A durable event's body in the log: the actor it is for and the message. */
export interface DurableEvent {
  to: ActorId;
  msg: { type: string };
}

/** Hand-off notices on the control subject. */
type ControlMsg = { type: "released"; shard: number; by: string; seq: number } | { type: "acquiring"; shard: number; by: string };

export interface ShardManagerOptions {
  nodeId: string;
  cluster: string;
  numShards: number;
  system: ActorSystem;
  router: RemoteRouter;
  transport: Transport;
  codec: Codec;
  membership: Membership;
  eventLog: EventLog;
  checkpoints: CheckpointStore;
  checkpointMs: number;
  handoffTimeoutMs: number;
  log: Logger;
}

const CODE: Record<ShardState, number> = { unowned: 0, acquiring: 1, owned: 2, releasing: 3 };
const NAME: ShardState[] = ["unowned", "acquiring", "owned", "releasing"];
/** Shard moves run with bounded concurrency (a first node takes all 1,024 shards at once). */
const MOVE_CONCURRENCY = 32;

/**
 * Owns this node's shards (the `ShardOwnership` the RemoteRouter routes by): follows membership views,
 * places shards by rendezvous hashing, hands shards over gracefully (hold messages, checkpoint, release,
 * acquire, replay) and takes over failed members' shards from their last checkpoint plus the event log.
 *
 * Events are applied exactly once per shard: only the owner applies them, in log order, and `applied[s]`
 * (the last sequence applied, part of every checkpoint) skips what the checkpoint already holds.
 */
export class ShardManager implements ShardOwnership {
  readonly events = new EventStream<ShardEvent>();
  readonly numShards: number;
  private readonly st: Uint8Array;
  private readonly applied: Float64Array;
  private readonly checkpointed: Float64Array;
  /** Events of shards being acquired or checkpointed, applied once the shard is live. */
  private readonly pendingEvents = new Map<number, LoggedEvent[]>();
  private readonly paused = new Set<number>();
  /** Actor ids of each shard this node hosts (restored from checkpoints or activated here). */
  private readonly actorsOf = new Map<number, Set<ActorId>>();
  private readonly releasedNotices = new Map<number, { by: string; seq: number }>();
  private readonly acquiringNotices = new Map<number, Set<string>>();
  /** Per shard, each other node's latest notice about it ("acquiring" holds until that node's "released"). */
  private readonly lastNotice = new Map<number, Map<string, "acquiring" | "released">>();
  private readonly noticeWaiters = new Set<() => void>();
  private readonly running = new Map<number, Promise<void>>();
  private readonly recheck = new Set<number>();
  private prevOwner: (string | undefined)[];
  private view: readonly string[] = [];
  private follower: LogFollower | null = null;
  private controlSub: Subscription | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private checkpointing = false;
  /** The checkpoint round in progress (stop and checkpointNow wait for it). */
  private round: Promise<void> = Promise.resolve();
  private slots = MOVE_CONCURRENCY;
  private readonly slotWaiters: (() => void)[] = [];
  private stopped = false;
  private followedSeq = 0;
  private catchUpWaiters: { seq: number; resolve: () => void }[] = [];
  private readonly offs: (() => void)[] = [];
  private readonly log: Logger;
  readonly counters = { applied: 0, replayed: 0, checkpoints: 0, acquired: 0, released: 0, overflowRetries: 0 };

  constructor(private readonly o: ShardManagerOptions) {
    this.numShards = o.numShards;
    this.st = new Uint8Array(o.numShards);
    this.applied = new Float64Array(o.numShards);
    this.checkpointed = new Float64Array(o.numShards);
    this.prevOwner = new Array(o.numShards).fill(undefined);
    this.log = o.log.child({ module: "shards", node: o.nodeId });
  }

  // ---- ShardOwnership ---------------------------------------------------------------------------

  isLocalShard(shard: number): boolean {
    return this.st[shard] === CODE.owned;
  }

  *localShards(): Iterable<number> {
    for (let s = 0; s < this.numShards; s++) if (this.st[s] === CODE.owned) yield s;
  }

  stateOf(shard: number): ShardState {
    return NAME[this.st[shard]!]!;
  }

  ownedCount(): number {
    let n = 0;
    for (let s = 0; s < this.numShards; s++) if (this.st[s] === CODE.owned) n++;
    return n;
  }

  /** The sequence of the last event the log follower delivered here (every event up to it was routed). */
  followed(): number {
    return this.followedSeq;
  }

  /** The highest event sequence applied per owned shard's max (for `cluster status` lag). */
  appliedSeq(): number {
    let m = 0;
    for (let s = 0; s < this.numShards; s++) if (this.st[s] === CODE.owned && this.applied[s]! > m) m = this.applied[s]!;
    return m;
  }

  /** True when no shard is moving and ownership matches the current view. */
  isSettled(): boolean {
    if (this.running.size > 0) return false;
    for (let s = 0; s < this.numShards; s++) {
      const want = ownerOf(s, this.view) === this.o.nodeId;
      if (want !== (this.st[s] === CODE.owned)) return false;
    }
    return true;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** Starts following the log and the control subject; call before the membership joins. */
  async start(): Promise<void> {
    this.offs.push(
      this.o.system.events.on((e) => {
        if (e.type === "activated") this.actorSet(shardOf(e.id, this.numShards)).add(e.id);
      }),
    );
    this.controlSub = this.o.transport.subscribe(subjects.control(this.o.cluster), (d) => this.onControl(d));
    const from = (await this.o.eventLog.lastSeq()) + 1;
    this.follower = await this.o.eventLog.follow(from, (e) => this.onEvent(e));
    this.offs.push(
      this.o.membership.events.on((e) => {
        if (e.type === "view") this.onView(e.members);
        this.wakeNoticeWaiters(); // a member that vanished ends waits for its notices
      }),
    );
    this.checkpointTimer = setInterval(() => void this.checkpointAll(), this.o.checkpointMs);
    this.checkpointTimer.unref?.();
    if (this.o.membership.members.length > 0) this.onView(this.o.membership.members);
  }

  /** Resolves once every shard is where the view places it. */
  whenSettled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return this.events.next("settled").then(() => undefined);
  }

  /** Checkpoints every owned shard now (graceful stop, tests). */
  async checkpointNow(): Promise<void> {
    await this.round;
    await this.checkpointAll(true);
  }

  /** Stops without handing anything over (crash-like; the lease expires and others take over). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.checkpointTimer !== null) clearInterval(this.checkpointTimer);
    for (const off of this.offs) off();
    this.controlSub?.unsubscribe();
    await this.follower?.stop();
    this.wakeNoticeWaiters();
    await this.round; // a round in progress finishes its writes before the stores close
  }

  // ---- views and moves --------------------------------------------------------------------------

  private onView(members: readonly string[]): void {
    const prev = this.view;
    this.view = members;
    for (let s = 0; s < this.numShards; s++) {
      const before = prev.length > 0 ? ownerOf(s, prev) : undefined;
      const after = ownerOf(s, members);
      if (before !== after) this.prevOwner[s] = before;
      // A released notice from a node that owns the shard again is stale.
      const n = this.releasedNotices.get(s);
      if (n !== undefined && n.by === after) this.releasedNotices.delete(s);
      this.schedule(s);
    }
    this.maybeSettled();
  }

  private schedule(s: number): void {
    if (this.stopped) return;
    if (this.running.has(s)) {
      this.recheck.add(s);
      return;
    }
    const owner = ownerOf(s, this.view);
    const mine = owner === this.o.nodeId;
    const code = this.st[s]!;
    let op: (() => Promise<void>) | undefined;
    if (mine && code === CODE.unowned) op = () => this.acquire(s);
    else if (!mine && code === CODE.owned) op = () => this.release(s, owner);
    if (op === undefined) return;
    const run = this.withSlot(op)
      .catch((e) => this.log.error({ shard: s, err: errorMessage(e) }, "shard move failed"))
      .finally(() => {
        this.running.delete(s);
        this.recheck.delete(s);
        this.schedule(s);
        this.maybeSettled();
        this.checkCaughtUp();
      });
    this.running.set(s, run);
  }

  private maybeSettled(): void {
    if (this.running.size === 0 && this.isSettled()) {
      this.o.membership.renewNow();
      if (!this.events.active) return;
      this.events.emit({ type: "settled", owned: this.ownedCount(), members: this.view });
    }
  }

  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.slots === 0) await new Promise<void>((r) => this.slotWaiters.push(r));
    else this.slots--;
    try {
      return await fn();
    } finally {
      const next = this.slotWaiters.shift();
      if (next !== undefined) next();
      else this.slots++;
    }
  }

  private setState(s: number, to: ShardState): void {
    const from = NAME[this.st[s]!]!;
    this.st[s] = CODE[to];
    if (this.events.active) this.events.emit({ type: "shard", shard: s, from, to });
  }

  /** The one guarded transition of a shard's machine. */
  private transitionToState(s: number, from: readonly ShardState[], to: ShardState): void {
    const cur = NAME[this.st[s]!]!;
    if (!from.includes(cur)) throw new Error(`shard ${s}: cannot go from ${cur} to ${to}`);
    this.setState(s, to);
  }

  private async acquire(s: number): Promise<void> {
    this.transitionToState(s, ["unowned"], "acquiring");
    this.pendingEvents.set(s, []);
    this.o.router.hold(s);
    this.o.router.acquire(s);
    await this.o.transport.flush(); // our subscription is registered before the old owner lets go
    this.publishControl({ type: "acquiring", shard: s, by: this.o.nodeId });
    // The node we take over from: the previous view's owner, or (a node that just joined and has no
    // previous view) the owner among the others. Any release notice for the shard will do: during
    // concurrent joins the shard may pass through a node this one never saw own it.
    const from = this.prevOwner[s] ?? ownerOf(s, this.view.filter((m) => m !== this.o.nodeId));
    // Wait until no other node holds the shard. Waiting for `from` alone (or for any release notice) let a
    // shard passing a -> b -> c during concurrent joins be owned by b and c at once: c took a's release
    // to b as its own go-ahead (test/cluster/sharding/double-ownership.int.test.ts).
    const waited = this.heldElsewhere(s) !== undefined;
    if (waited) {
      const ok = await this.waitFor(() => this.heldElsewhere(s) === undefined);
      if (!ok) this.log.warn({ shard: s, from, holder: this.heldElsewhere(s) }, "no release notice within the hand-off timeout; taking over from the last checkpoint");
    }
    const next = ownerOf(s, this.view);
    if (next !== this.o.nodeId && !this.stopped) {
      // The view moved on while this node waited: it does not take the shard (a pass-through owner would
      // overlap with the next one); held messages go on to the next owner once it listens.
      this.pendingEvents.delete(s);
      if (next !== undefined && this.o.membership.isMember(next)) {
        await this.waitFor(() => {
          const owner = ownerOf(s, this.view);
          return owner === undefined || owner === this.o.nodeId || this.acquiringNotices.get(s)?.has(owner) === true || !this.o.membership.isMember(owner);
        });
      }
      const held = this.o.router.releaseHeld(s);
      this.o.router.forward(s, held);
      this.transitionToState(s, ["acquiring"], "unowned");
      this.publishControl({ type: "released", shard: s, by: this.o.nodeId, seq: this.applied[s]! });
      this.releasedNotices.delete(s);
      return;
    }
    this.releasedNotices.delete(s);
    const cp = await this.untilDone(s, "checkpoint load", () => this.o.checkpoints.load(s));
    const restoring: Promise<void>[] = [];
    for (const [id, bytes] of cp?.actors ?? []) {
      const w = this.o.system.replaceState(id, bytes);
      if (w instanceof Promise) restoring.push(w);
      this.actorSet(s).add(id);
    }
    await Promise.all(restoring);
    this.applied[s] = cp?.seq ?? 0;
    this.checkpointed[s] = cp?.seq ?? 0;
    let replayed = 0;
    // A retry goes on from the last event applied (deliverEvent skips what an interrupted replay delivered).
    await this.untilDone(s, "replay", () =>
      this.o.eventLog.replay(s, this.applied[s]!, (e) => {
        if (this.deliverEvent(e)) replayed++;
      }),
    );
    this.counters.replayed += replayed;
    this.transitionToState(s, ["acquiring"], "owned");
    this.o.router.resume(s);
    this.drainPending(s);
    // Keep other nodes' "acquiring" notices: during concurrent joins the next owner may have announced
    // itself while this node was still acquiring, and the release that follows waits for exactly that notice
    // (clearing it here stalled that release for the whole hand-off timeout). A node's notice is dropped
    // when it releases the shard again (onControl).
    this.counters.acquired++;
    if (this.events.active) this.events.emit({ type: "acquired", shard: s, checkpointSeq: cp?.seq ?? 0, replayed, waitedForRelease: waited });
  }

  private async release(s: number, to: string | undefined): Promise<void> {
    this.transitionToState(s, ["owned"], "releasing");
    this.o.router.hold(s);
    this.pendingEvents.delete(s);
    const cp = await this.snapshot(s);
    await this.untilDone(s, "checkpoint save", () => this.o.checkpoints.save(s, cp));
    this.checkpointed[s] = cp.seq;
    const restoring: Promise<void>[] = [];
    for (const id of this.actorsOf.get(s) ?? []) {
      const w = this.o.system.replaceState(id, undefined);
      if (w instanceof Promise) restoring.push(w);
    }
    await Promise.all(restoring);
    this.actorsOf.delete(s);
    this.publishControl({ type: "released", shard: s, by: this.o.nodeId, seq: cp.seq });
    if (to !== undefined && to !== this.o.nodeId && this.o.membership.isMember(to)) {
      // Let go of the subject only once the new owner listens, so nothing falls between us. The new
      // owner is the latest view's (views may change while we checkpoint).
      await this.waitFor(() => {
        const owner = ownerOf(s, this.view);
        return owner === undefined || owner === this.o.nodeId || this.acquiringNotices.get(s)?.has(owner) === true || !this.o.membership.isMember(owner);
      });
    }
    this.acquiringNotices.delete(s);
    const held = this.o.router.releaseHeld(s);
    this.o.router.forward(s, held);
    this.transitionToState(s, ["releasing"], "unowned");
    this.counters.released++;
    if (this.events.active) this.events.emit({ type: "released", shard: s, seq: cp.seq });
  }

  /**
   * Runs one store step of a shard move until it succeeds (backoff 0.1-2 s); gives up only when the node
   * stops. A move that failed on a store error (JetStream without a leader for a few seconds after a NATS
   * server died) used to end there, leaving the shard acquiring or releasing for good: its messages held
   * and its events parked, never applied.
   */
  private async untilDone<T>(s: number, what: string, fn: () => Promise<T>): Promise<T> {
    let wait = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (this.stopped) throw e;
        if (attempt === 1 || attempt % 10 === 0) this.log.warn({ shard: s, attempt, err: errorMessage(e) }, `shard ${what} failed; retrying`);
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(2000, wait * 2);
      }
    }
  }

  // ---- events -----------------------------------------------------------------------------------

  /** Resolves once the log follower has passed `seq` and every event up to it was handed to its actor here. */
  caughtUp(seq: number): Promise<void> {
    if (this.followedSeq >= seq && !this.hasPendingOwned()) return Promise.resolve();
    return new Promise((resolve) => this.catchUpWaiters.push({ seq, resolve }));
  }

  private hasPendingOwned(): boolean {
    for (const [s, q] of this.pendingEvents) if (q.length > 0 && this.st[s] === CODE.owned) return true;
    return this.running.size > 0;
  }

  private checkCaughtUp(): void {
    if (this.catchUpWaiters.length === 0 || this.hasPendingOwned()) return;
    const keep: { seq: number; resolve: () => void }[] = [];
    for (const w of this.catchUpWaiters) {
      if (this.followedSeq >= w.seq) w.resolve();
      else keep.push(w);
    }
    this.catchUpWaiters = keep;
  }

  private onEvent(e: LoggedEvent): void {
    this.followedSeq = e.seq;
    this.routeEvent(e);
    if (this.catchUpWaiters.length > 0) this.checkCaughtUp();
  }

  private routeEvent(e: LoggedEvent): void {
    const code = this.st[e.shard];
    if (code === CODE.acquiring || (code === CODE.owned && (this.paused.has(e.shard) || (this.pendingEvents.get(e.shard)?.length ?? 0) > 0))) {
      this.pendingEvents.get(e.shard)?.push(e) ?? this.pendingEvents.set(e.shard, [e]);
      return;
    }
    if (code === CODE.owned) this.deliverEvent(e);
  }

  /** Applies one event if it is newer than what the shard holds; a full mailbox parks it for a retry. */
  private deliverEvent(e: LoggedEvent): boolean {
    if (e.seq <= this.applied[e.shard]!) return false;
    const ev = this.o.codec.decode<DurableEvent>(e.data);
    try {
      this.o.system.deliverLocal(ev.to, ev.msg, undefined);
    } catch (err) {
      if (!(err instanceof MailboxFullError)) {
        this.log.error({ shard: e.shard, seq: e.seq, to: ev.to, err: errorMessage(err) }, "event could not be applied; skipped");
        this.applied[e.shard] = e.seq;
        return false;
      }
      // Park it (and everything after it for this shard) and retry shortly: an event is never dropped.
      const q = this.pendingEvents.get(e.shard) ?? [];
      q.unshift(e);
      this.pendingEvents.set(e.shard, q);
      this.counters.overflowRetries++;
      setTimeout(() => this.drainPending(e.shard), 5).unref?.();
      return false;
    }
    this.applied[e.shard] = e.seq;
    this.counters.applied++;
    return true;
  }

  private drainPending(s: number): void {
    if (this.st[s] !== CODE.owned || this.paused.has(s)) return;
    const q = this.pendingEvents.get(s);
    if (q === undefined) return;
    this.pendingEvents.delete(s);
    queueMicrotask(() => this.checkCaughtUp());
    for (let i = 0; i < q.length; i++) {
      const e = q[i]!;
      const before = this.counters.overflowRetries;
      this.deliverEvent(e);
      if (this.counters.overflowRetries !== before) {
        // deliverEvent re-parked e; keep the rest behind it, in order.
        this.pendingEvents.get(s)!.push(...q.slice(i + 1));
        return;
      }
    }
  }

  // ---- checkpoints ------------------------------------------------------------------------------

  /** Waits (bounded) until every actor of the shard has handled what it was sent, then encodes them all. */
  private async snapshot(s: number): Promise<ShardCheckpoint> {
    const ids = [...(this.actorsOf.get(s) ?? [])];
    const deadline = performance.now() + this.o.handoffTimeoutMs;
    for (;;) {
      if (ids.every((id) => this.o.system.isQuiet(id))) break;
      if (performance.now() > deadline) {
        this.log.warn({ shard: s }, "shard not quiet within the hand-off timeout; checkpointing as is");
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    const actors: [ActorId, Uint8Array][] = [];
    const seq = this.applied[s]!;
    const snaps = ids.map((id) => this.o.system.snapshotState(id));
    for (let i = 0; i < ids.length; i++) {
      const b = await snaps[i];
      if (b !== undefined) actors.push([ids[i]!, b]);
    }
    return { seq, by: this.o.nodeId, at: Date.now(), actors };
  }

  private checkpointAll(force = false): Promise<void> {
    if (this.checkpointing || this.stopped) return this.round;
    this.checkpointing = true;
    this.round = this.checkpointRound(force);
    return this.round;
  }

  private async checkpointRound(force: boolean): Promise<void> {
    try {
      for (let s = 0; s < this.numShards; s++) {
        if (this.st[s] !== CODE.owned || this.running.has(s)) continue;
        const ids = this.actorsOf.get(s);
        const busy = ids !== undefined && [...ids].some((id) => this.o.system.isActive(id));
        if (!force && this.applied[s] === this.checkpointed[s] && !busy) continue;
        if (ids === undefined && this.applied[s] === this.checkpointed[s]) continue;
        // New events wait while the shard's actors drain, so the snapshot holds exactly the events <= seq.
        this.paused.add(s);
        let cp: ShardCheckpoint;
        try {
          cp = await this.snapshot(s);
        } finally {
          this.paused.delete(s);
          this.drainPending(s);
        }
        if (this.st[s] !== CODE.owned) continue; // a release started meanwhile and writes its own
        await this.o.checkpoints.save(s, cp);
        this.checkpointed[s] = Math.max(this.checkpointed[s]!, cp.seq);
        this.counters.checkpoints++;
        if (this.events.active) this.events.emit({ type: "checkpointed", shard: s, seq: cp.seq, actors: cp.actors.length });
      }
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, "checkpoint round failed");
    } finally {
      this.checkpointing = false;
    }
  }

  // ---- control notices --------------------------------------------------------------------------

  private publishControl(m: ControlMsg): void {
    try {
      this.o.transport.publish(subjects.control(this.o.cluster), this.o.codec.encode(m));
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, "control notice not sent");
    }
  }

  private onControl(data: Uint8Array): void {
    let m: ControlMsg;
    try {
      m = this.o.codec.decode<ControlMsg>(data);
    } catch {
      return;
    }
    if (m.by === this.o.nodeId) return;
    let per = this.lastNotice.get(m.shard);
    if (per === undefined) this.lastNotice.set(m.shard, (per = new Map()));
    per.set(m.by, m.type);
    if (m.type === "released") {
      this.releasedNotices.set(m.shard, { by: m.by, seq: m.seq });
      this.acquiringNotices.get(m.shard)?.delete(m.by); // it no longer listens on the shard's subject
    }
    else if (m.type === "acquiring") {
      const set = this.acquiringNotices.get(m.shard);
      if (set === undefined) this.acquiringNotices.set(m.shard, new Set([m.by]));
      else set.add(m.by);
    }
    this.wakeNoticeWaiters();
  }

  private wakeNoticeWaiters(): void {
    for (const w of [...this.noticeWaiters]) w();
  }

  /** Resolves true when `cond` holds (checked on every notice and view change), false after the hand-off timeout. */
  private waitFor(cond: () => boolean): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.stopped || cond()) finish(!this.stopped);
      };
      const timer = setTimeout(() => finish(false), this.o.handoffTimeoutMs);
      const finish = (v: boolean): void => {
        clearTimeout(timer);
        this.noticeWaiters.delete(check);
        resolve(v);
      };
      this.noticeWaiters.add(check);
    });
  }

  /**
   * Shards this node holds (owned, acquiring or releasing) as a base64 bitmap, published with its lease:
   * a node taking a shard over waits for a release notice only while the previous owner still claims it
   * (two nodes starting together never owned each other's shards).
   */
  claims(): string {
    const bits = new Uint8Array(Math.ceil(this.numShards / 8));
    for (let s = 0; s < this.numShards; s++) if (this.st[s] !== CODE.unowned) bits[s >> 3]! |= 1 << (s & 7);
    return Buffer.from(bits).toString("base64");
  }

  /**
   * Another live member that holds shard `s` as far as this node knows: its latest notice is "acquiring"
   * (acquiring or owning until it says "released"), or, without any notice seen from it, its lease claims
   * it. A node acquiring the shard that the current view gives to it is not waited for: this node is a
   * pass-through on its way (it acquires, then hands over) and that node waits for this one.
   */
  private heldElsewhere(s: number): string | undefined {
    const notices = this.lastNotice.get(s);
    const next = ownerOf(s, this.view);
    for (const r of this.o.membership.records()) {
      const m = r.nodeId;
      if (m === this.o.nodeId) continue;
      const n = notices?.get(m);
      if (n === "released") continue;
      if (n === "acquiring") {
        if (m === next && next !== this.o.nodeId) continue;
        return m;
      }
      if (this.claimedBy(m, s)) return m;
    }
    return undefined;
  }

  private claimedBy(nodeId: string, s: number): boolean {
    const c = this.o.membership.infoOf(nodeId)?.claims;
    if (c === undefined) return true;
    const bits = Buffer.from(c, "base64");
    return ((bits[s >> 3] ?? 0) & (1 << (s & 7))) !== 0;
  }

  private actorSet(s: number): Set<ActorId> {
    let set = this.actorsOf.get(s);
    if (set === undefined) this.actorsOf.set(s, (set = new Set()));
    return set;
  }
}
