import type { Logger } from "pino";
import {
  AskTimeoutError,
  FypError,
  HandlerFailedError,
  MailboxFullError,
  StateStoreError,
  SystemStoppedError,
  UnknownActorKindError,
  errorMessage,
  parseActorId,
  type ActorId,
  type AnyMsg,
  type Codec,
} from "../protocols/index.ts";
import type { ActorBehavior, ActorContext, NodeServices } from "./actor-behavior.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { EventStream, type ActorEvent } from "./events.ts";
import { Mailbox } from "./mailbox.ts";
import type { StateStore } from "./state-store.ts";

export interface ActorSystemOptions {
  clock: Clock;
  store: StateStore;
  codec: Codec;
  log: Logger;
  services?: NodeServices;
  mailboxCapacity: number;
  askTimeoutMs: number;
  /** Idle time (clock ms) before passivation. */
  passivationIdleMs: number;
  /** How often to look for idle actors (clock ms); 0 disables automatic passivation. */
  sweepIntervalMs: number;
  /** Messages one actor handles before the next ready actor gets a turn. */
  throughput: number;
  /** Messages handled before the dispatcher yields to I/O. */
  dispatchBatch: number;
  /** Called for every message an actor handles (determinism checks, debugging); off when absent. */
  trace?: (at: number, id: ActorId, msg: { type: string }) => void;
}

export interface ActorSystemStats {
  active: number;
  delivered: number;
  processed: number;
  failed: number;
  overflow: number;
  activations: number;
  reactivations: number;
  passivations: number;
  asks: number;
  askTimeouts: number;
}

const MAILBOX_POOL = 65_536;

/** Activation state machine of one actor: activating -> active -> passivated (gone from memory). */
const enum Status {
  Activating = 0,
  Active = 1,
  Passivated = 2,
}

/** Where an ask's reply goes: a local pending ask, or a remote node's inbox. */
export type ReplyTarget = LocalReply | { subject: string; corr: number };
interface LocalReply {
  corr: number;
}

interface PendingAsk {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
  /** Sent to another node (its reply comes through `settleAsk` from the remote link). */
  remote: boolean;
}

// Flag bits of ActorCell.flags: one small integer instead of four fields keeps a million idle actors small.
const STATUS_MASK = 3;
const SCHEDULED = 4;
const BUSY = 8;
const PASSIVATE_REQUESTED = 16;

/** A cell's timers: none, one named timer (the common case), or a map. */
type Timers = null | { name: string; handle: TimerHandle } | Map<string, TimerHandle>;

/**
 * One actor instance in memory. It is also the handler's context (methods live on the prototype, so an
 * idle actor costs only its fields).
 */
/** Rows of doubles handed to live cells and taken back, for reuse, when the cells leave. */
class TimeTable {
  times = new Float64Array(1024);
  private free: number[] = [];
  private next = 0;

  take(): number {
    const r = this.free.pop();
    if (r !== undefined) {
      this.times[r] = 0;
      return r;
    }
    if (this.next === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    return this.next++;
  }

  give(row: number): void {
    this.free.push(row);
  }
}

class ActorCell<S = unknown, M extends { type: string } = { type: string }> implements ActorContext<S, M> {
  state: S = undefined as S;
  flags = Status.Activating as number;
  mailbox: Mailbox | null = null;
  timers: Timers = null;
  /** This cell's row in its system's clock-time table (-1 once the cell is dropped). */
  slot: number;

  constructor(
    readonly system: ActorSystem,
    readonly id: ActorId,
    readonly behavior: ActorBehavior<S, M>,
  ) {
    this.slot = system.lastActiveTimes.take();
  }

  /**
   * When the actor last handled a message or was activated (clock ms). Kept in the system's table, not in
   * the cell: a double in an object is a heap number of its own, one more object per live actor for
   * every major GC to mark (~100k video actors on a serving node).
   */
  get lastActive(): number {
    return this.slot < 0 ? 0 : this.system.lastActiveTimes.times[this.slot]!;
  }
  set lastActive(t: number) {
    if (this.slot >= 0) this.system.lastActiveTimes.times[this.slot] = t;
  }

  /** Gives the cell's row back (the cell left the system: passivated, replaced, failed to activate). */
  drop(): void {
    if (this.slot < 0) return;
    this.system.lastActiveTimes.give(this.slot);
    this.slot = -1;
  }

  get status(): Status {
    return (this.flags & STATUS_MASK) as Status;
  }
  set status(s: Status) {
    this.flags = (this.flags & ~STATUS_MASK) | s;
  }
  get scheduled(): boolean {
    return (this.flags & SCHEDULED) !== 0;
  }
  set scheduled(v: boolean) {
    this.flags = v ? this.flags | SCHEDULED : this.flags & ~SCHEDULED;
  }
  get busy(): boolean {
    return (this.flags & BUSY) !== 0;
  }
  set busy(v: boolean) {
    this.flags = v ? this.flags | BUSY : this.flags & ~BUSY;
  }
  get passivateRequested(): boolean {
    return (this.flags & PASSIVATE_REQUESTED) !== 0;
  }
  set passivateRequested(v: boolean) {
    this.flags = v ? this.flags | PASSIVATE_REQUESTED : this.flags & ~PASSIVATE_REQUESTED;
  }
  get kind(): string {
    return this.behavior.kind;
  }
  get key(): string {
    return this.id.slice(this.behavior.kind.length + 1);
  }
  get clock(): Clock {
    return this.system.clock;
  }
  get log(): Logger {
    return this.system.log.child({ kind: this.behavior.kind, key: this.key });
  }
  get services(): NodeServices {
    return this.system.services;
  }
  tell(to: ActorId, msg: AnyMsg): void {
    this.system.tell(to, msg);
  }
  ask<R>(to: ActorId, msg: AnyMsg, timeoutMs?: number): Promise<R> {
    return this.system.ask<R>(to, msg, timeoutMs);
  }
  setTimer(name: string, delayMs: number, msg: M, periodic = false): void {
    this.cancelTimer(name);
    this.armTimer(name, delayMs, msg, periodic);
  }
  // The callback is written as an argument, never bound to a name: tsx (esbuild's keepNames) wraps a
  // function assigned to a name in __name(), an Object.defineProperty per timer (~0.75% of a simulation).
  private armTimer(name: string, delayMs: number, msg: M, periodic: boolean): void {
    const sys = this.system;
    this.putTimer(name, sys.clock.setTimer(delayMs, () => {
      if (periodic) this.armTimer(name, delayMs, msg, periodic);
      else this.dropTimer(name);
      sys.deliverTimer(this, msg);
    }));
  }
  cancelTimer(name: string): void {
    const t = this.timers;
    if (t === null) return;
    if (t instanceof Map) {
      t.get(name)?.cancel();
      t.delete(name);
    } else if (t.name === name) {
      t.handle.cancel();
      this.timers = null;
    }
  }
  cancelAllTimers(): void {
    const t = this.timers;
    if (t instanceof Map) for (const h of t.values()) h.cancel();
    else t?.handle.cancel();
    this.timers = null;
  }
  passivate(): void {
    this.passivateRequested = true;
  }
  hasTimers(): boolean {
    const t = this.timers;
    return t !== null && (!(t instanceof Map) || t.size > 0);
  }
  private putTimer(name: string, handle: TimerHandle): void {
    const t = this.timers;
    if (t === null || (!(t instanceof Map) && t.name === name)) this.timers = { name, handle };
    else if (t instanceof Map) t.set(name, handle);
    else this.timers = new Map([[t.name, t.handle], [name, handle]]);
  }
  private dropTimer(name: string): void {
    const t = this.timers;
    if (t instanceof Map) t.delete(name);
    else if (t !== null && t.name === name) this.timers = null;
  }
}

/**
 * Where messages for actors not hosted here go: `RemoteRouter` over a transport (cluster mode), or the
 * parallel simulation's lockstep link between worker threads.
 */
export interface RemoteLink {
  isLocal(id: ActorId): boolean;
  /** A tell (`corr` undefined) or an ask whose reply comes back through `settleAsk`. */
  send(to: ActorId, msg: { type: string }, corr: number | undefined): void;
  /** Answers an ask that came from elsewhere (`subject` is where its reply goes). */
  reply(subject: string, corr: number, ok: boolean, value: unknown): void;
  /**
   * The longest a request and its reply are held on the way (virtual ms; a lockstep link delivers at epoch
   * ends, so a round trip takes up to two epochs). Added to the deadline of asks that go through the link.
   */
  readonly deliveryDelayMs?: number;
}

/**
 * Hosts virtual actors addressed by `kind/key`: activated on their first message, one message at a
 * time each, passivated into the StateStore when idle and re-activated transparently.
 */
export class ActorSystem {
  readonly clock: Clock;
  readonly log: Logger;
  readonly services: NodeServices;
  readonly events = new EventStream<ActorEvent>();
  private readonly opts: ActorSystemOptions;
  private readonly store: StateStore;
  private readonly codec: Codec;
  private readonly kinds = new Map<string, ActorBehavior<any, any>>();
  private readonly cells = new Map<ActorId, ActorCell<any, any>>();
  /** Each live cell's last-active time, by its row (see ActorCell.lastActive). */
  readonly lastActiveTimes = new TimeTable();
  private ready: (ActorCell<any, any> | undefined)[] = [];
  private readyHead = 0;
  private drainQueued = false;
  private draining = false;
  private inflight = 0;
  private pendingLoads = 0;
  private writesInFlight = 0;
  private flushWaiters: (() => void)[] = [];
  /** Passivated states whose store write is not confirmed yet. */
  private readonly unflushed = new Map<ActorId, Uint8Array>();
  private idleWaiters: (() => void)[] = [];
  private readonly pending = new Map<number, PendingAsk>();
  private nextCorr = 1;
  private remoteAsks = 0;
  private remoteAskWaiters: (() => void)[] = [];
  private sweepTimer: TimerHandle | null = null;
  private stopped = false;
  private remote: RemoteLink | null = null;
  private readonly counters = {
    delivered: 0,
    processed: 0,
    failed: 0,
    overflow: 0,
    activations: 0,
    reactivations: 0,
    passivations: 0,
    asks: 0,
    askTimeouts: 0,
  };

  constructor(opts: ActorSystemOptions) {
    this.opts = opts;
    this.clock = opts.clock;
    this.store = opts.store;
    this.codec = opts.codec;
    this.log = opts.log.child({ module: "actors" });
    this.services = opts.services ?? {};
    if (opts.sweepIntervalMs > 0) this.armSweep();
  }

  register(behavior: ActorBehavior<any, any>): this {
    if (this.kinds.has(behavior.kind)) throw new Error(`actor kind "${behavior.kind}" registered twice`);
    this.kinds.set(behavior.kind, behavior);
    return this;
  }

  /** Routes messages for actors hosted elsewhere (cluster mode: a RemoteRouter; parallel simulation: a lockstep link). */
  attachRemote(remote: RemoteLink): void {
    this.remote = remote;
  }

  stats(): ActorSystemStats {
    return { active: this.cells.size, ...this.counters };
  }

  /** Asks sent to actors on other nodes and not answered (or timed out) yet. */
  get remoteAsksPending(): number {
    return this.remoteAsks;
  }

  /**
   * True when nothing is queued or loading here and nothing runs but handlers that may be waiting on other
   * nodes' replies (some ask to another node is pending). A lockstep node ends its epoch at such a point:
   * the replies come with the next epoch.
   */
  waitsOnlyOnRemote(): boolean {
    return this.readyHead >= this.ready.length && this.pendingLoads === 0 && !this.draining && this.remoteAsks > 0;
  }

  /** Resolves when the system is idle or an ask goes to another node (a lockstep driver then looks again). */
  whenIdleOrRemoteAsk(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.remoteAskWaiters.push(resolve);
    });
  }

  private wakeOnRemoteAsk(): void {
    if (this.remoteAskWaiters.length === 0) return;
    const ws = this.remoteAskWaiters;
    this.remoteAskWaiters = [];
    // a waiter is in both lists; resolving a settled promise again does nothing
    for (const w of ws) w();
  }

  /** Messages handled so far (a lockstep driver tells a settled node from one still working). */
  get processedCount(): number {
    return this.counters.processed + this.counters.failed;
  }

  /** True when nothing is queued, running or being written. */
  isIdle(): boolean {
    return this.readyHead >= this.ready.length && this.inflight === 0 && this.pendingLoads === 0 && !this.draining;
  }

  /** Resolves once the system is idle (no queued, running or persisting work). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  isActive(id: ActorId): boolean {
    return this.cells.has(id);
  }

  /** Ids of the actors in memory (any status). Shard checkpoints enumerate them. */
  activeIds(): IterableIterator<ActorId> {
    return this.cells.keys();
  }

  /** True when the actor has nothing queued or running (or is not in memory): a consistent point to snapshot. */
  isQuiet(id: ActorId): boolean {
    const cell = this.cells.get(id);
    if (cell === undefined) return true;
    return cell.status === Status.Active && !cell.busy && (cell.mailbox === null || cell.mailbox.length === 0);
  }

  /**
   * The actor's current state as the store would hold it (its behaviour's snapshot, encoded), without
   * passivating it; for an actor not in memory, what the store holds. Shard checkpoints are built from it.
   */
  snapshotState(id: ActorId): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const cell = this.cells.get(id);
    if (cell !== undefined && cell.status === Status.Active) {
      const b = cell.behavior;
      return this.codec.encode(b.snapshot ? b.snapshot(cell.state) : cell.state);
    }
    return this.unflushed.get(id) ?? this.store.get(id);
  }

  /**
   * Replaces an actor's stored state (`undefined` deletes it) and drops it from memory without persisting
   * it: a node restoring a shard from a checkpoint, or letting go of a shard another node now owns.
   * The next message activates it from the new state. Call it only while the actor is quiet.
   */
  replaceState(id: ActorId, bytes: Uint8Array | undefined): void | Promise<void> {
    const cell = this.cells.get(id);
    if (cell !== undefined) {
      cell.status = Status.Passivated;
      cell.cancelAllTimers();
      this.cells.delete(id);
      cell.drop();
    }
    this.unflushed.delete(id);
    return bytes === undefined ? this.store.delete(id) : this.store.put(id, bytes);
  }

  // ---- messaging ------------------------------------------------------------------------------

  /** Fire-and-forget. Throws MailboxFullError (counted) if the target's local mailbox is full. */
  tell(to: ActorId, msg: AnyMsg): void {
    if (this.stopped) throw new SystemStoppedError(`tell ${msg.type} to ${to}`);
    if (this.remote !== null && !this.remote.isLocal(to)) {
      this.remote.send(to, msg, undefined);
      return;
    }
    this.deliverLocal(to, msg, undefined);
  }

  /** Request/reply with a deadline on this system's clock. */
  ask<R = unknown>(to: ActorId, msg: AnyMsg, timeoutMs = this.opts.askTimeoutMs): Promise<R> {
    if (this.stopped) return Promise.reject(new SystemStoppedError(`ask ${msg.type} to ${to}`));
    this.counters.asks++;
    const corr = this.nextCorr++;
    const remote = this.remote !== null && !this.remote.isLocal(to);
    // the deadline is for the answer, not for the link: a link that holds messages (lockstep) adds its delay
    const deadlineMs = remote ? timeoutMs + (this.remote!.deliveryDelayMs ?? 0) : timeoutMs;
    return new Promise<R>((resolve, reject) => {
      const timer = this.clock.setTimer(deadlineMs, () => {
        const p = this.pending.get(corr);
        if (p === undefined) return;
        this.pending.delete(corr);
        if (p.remote) this.remoteAsks--;
        this.counters.askTimeouts++;
        if (this.events.active) this.events.emit({ type: "ask-timeout", id: to, msgType: msg.type });
        reject(new AskTimeoutError(to, msg.type, deadlineMs));
      }, true);
      this.pending.set(corr, { resolve: resolve as (v: unknown) => void, reject, timer, remote });
      try {
        if (remote) {
          this.remoteAsks++;
          this.remote!.send(to, msg, corr);
          this.wakeOnRemoteAsk();
        } else this.deliverLocal(to, msg, { corr });
      } catch (e) {
        this.settleAsk(corr, false, e);
      }
    });
  }

  /** Completes a pending ask (a local reply, or a reply that came back from another node). */
  settleAsk(corr: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(corr);
    if (p === undefined) return; // already timed out
    this.pending.delete(corr);
    if (p.remote) this.remoteAsks--;
    p.timer.cancel();
    if (ok) p.resolve(value);
    else p.reject(value instanceof Error ? value : new Error(String(value)));
  }

  /** Delivers to an actor hosted here, activating it if needed. `reply` is set for asks. */
  deliverLocal(to: ActorId, msg: { type: string }, reply: ReplyTarget | undefined): void {
    let cell = this.cells.get(to);
    if (cell === undefined) cell = this.activate(to);
    if (cell.mailbox === null) cell.mailbox = this.freeMailboxes.pop() ?? new Mailbox(this.opts.mailboxCapacity);
    if (!cell.mailbox.push(msg, reply)) {
      this.counters.overflow++;
      if (this.events.active) this.events.emit({ type: "mailbox-overflow", id: to, msgType: msg.type });
      throw new MailboxFullError(to, this.opts.mailboxCapacity);
    }
    this.counters.delivered++;
    if (cell.status !== Status.Activating) this.schedule(cell);
  }

  /** Timer messages go to the actor's mailbox like any other; overflow drops the tick (counted). */
  deliverTimer(cell: ActorCell<any, any>, msg: { type: string }): void {
    if (this.stopped || this.cells.get(cell.id) !== cell) return;
    try {
      this.deliverLocal(cell.id, msg, undefined);
    } catch (e) {
      if (!(e instanceof MailboxFullError)) throw e;
    }
  }

  // ---- dispatch -------------------------------------------------------------------------------

  private schedule(cell: ActorCell<any, any>): void {
    if (cell.scheduled || cell.busy) return;
    cell.scheduled = true;
    this.ready.push(cell);
    if (!this.drainQueued && !this.draining) {
      this.drainQueued = true;
      queueMicrotask(this.drainTask);
    }
  }

  private readonly drainTask = (): void => {
    this.drainQueued = false;
    this.runReady();
  };

  private readonly drainLater = (): void => {
    this.drainQueued = false;
    this.runReady();
  };

  /**
   * Runs ready actors now, up to `dispatchBatch` messages, then yields to I/O with setImmediate.
   * Virtual-time drivers call this synchronously after firing a timer.
   */
  runReady(): void {
    if (this.draining) return;
    this.draining = true;
    let budget = this.opts.dispatchBatch;
    const throughput = this.opts.throughput;
    // One clock read per dispatch round: idle times are minutes, a round is milliseconds.
    this.dispatchNow = this.clock.now();
    try {
      while (this.readyHead < this.ready.length && budget > 0) {
        const cell = this.ready[this.readyHead]!;
        this.ready[this.readyHead++] = undefined;
        cell.scheduled = false;
        if (cell.busy || cell.status !== Status.Active) continue;
        const mb = cell.mailbox;
        let n = 0;
        while (mb !== null && mb.length > 0 && n < throughput && !cell.busy) {
          const msg = mb.shift() as { type: string };
          this.invoke(cell, msg, mb.lastReply as ReplyTarget | undefined);
          n++;
        }
        budget -= n;
        if (cell.busy) continue;
        if (mb !== null && mb.length > 0) this.schedule(cell);
        else {
          // most actors are idle most of the time: keep them small, and reuse the emptied mailbox
          cell.mailbox = null;
          if (mb !== null && this.freeMailboxes.length < MAILBOX_POOL) this.freeMailboxes.push(mb);
          this.afterIdle(cell);
        }
      }
      if (this.readyHead >= this.ready.length) {
        this.ready = [];
        this.readyHead = 0;
      } else if (this.readyHead > 65536) {
        this.ready = this.ready.slice(this.readyHead);
        this.readyHead = 0;
      }
    } finally {
      this.draining = false;
    }
    if (this.readyHead < this.ready.length) {
      if (!this.drainQueued) {
        this.drainQueued = true;
        setImmediate(this.drainLater);
      }
    } else this.checkIdle();
  }

  private invoke(cell: ActorCell<any, any>, msg: { type: string }, reply: ReplyTarget | undefined): void {
    cell.lastActive = this.dispatchNow;
    if (this.opts.trace !== undefined) this.opts.trace(this.clock.now(), cell.id, msg);
    let result: unknown;
    try {
      result = cell.behavior.receive(cell, msg);
    } catch (e) {
      this.fail(cell, msg, reply, e);
      return;
    }
    if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
      cell.busy = true;
      this.inflight++;
      (result as Promise<unknown>).then(
        (v) => this.asyncDone(cell, msg, reply, true, v),
        (e) => this.asyncDone(cell, msg, reply, false, e),
      );
      return;
    }
    this.counters.processed++;
    if (reply !== undefined) this.reply(reply, true, result);
  }

  private asyncDone(cell: ActorCell<any, any>, msg: { type: string }, reply: ReplyTarget | undefined, ok: boolean, v: unknown): void {
    cell.busy = false;
    this.inflight--;
    if (ok) {
      this.counters.processed++;
      if (reply !== undefined) this.reply(reply, true, v);
    } else this.fail(cell, msg, reply, v);
    cell.lastActive = this.clock.now();
    const mb = cell.mailbox;
    if (mb !== null && mb.length > 0) this.schedule(cell);
    else {
      // as after a synchronous turn: an idle actor holds no mailbox (async handlers used to keep theirs)
      cell.mailbox = null;
      if (mb !== null && this.freeMailboxes.length < MAILBOX_POOL) this.freeMailboxes.push(mb);
      this.afterIdle(cell);
    }
    if (!this.draining && this.readyHead < this.ready.length) this.runReady();
    else this.checkIdle();
  }

  private fail(cell: ActorCell<any, any>, msg: { type: string }, reply: ReplyTarget | undefined, e: unknown): void {
    this.counters.failed++;
    const err = new HandlerFailedError(cell.id, msg.type, e);
    this.log.warn({ kind: cell.kind, key: cell.key, msgType: msg.type, err: errorMessage(e) }, "message failed");
    if (this.events.active) this.events.emit({ type: "message-failed", id: cell.id, msgType: msg.type, error: err });
    if (reply !== undefined) this.reply(reply, false, err);
  }

  private reply(target: ReplyTarget, ok: boolean, value: unknown): void {
    if ("subject" in target) this.remote!.reply(target.subject, target.corr, ok, value);
    else this.settleAsk(target.corr, ok, value);
  }

  private afterIdle(cell: ActorCell<any, any>): void {
    if (cell.passivateRequested) this.passivateCell(cell);
  }

  private checkIdle(): void {
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      this.remoteAskWaiters = [];
      for (const w of ws) w();
    }
  }

  // ---- activation / passivation ---------------------------------------------------------------

  private activate(id: ActorId): ActorCell<any, any> {
    const slash = id.indexOf("/");
    if (slash <= 0 || slash === id.length - 1) parseActorId(id); // throws InvalidActorIdError
    const behavior = this.kindOf(id, slash);
    const cell = new ActorCell(this, id, behavior);
    this.cells.set(id, cell);
    let stored: Uint8Array | undefined | Promise<Uint8Array | undefined> = this.unflushed.get(id);
    try {
      if (stored === undefined) stored = this.store.get(id);
    } catch (e) {
      this.activationFailed(cell, e);
      throw new StateStoreError(`cannot load state of ${id}`, e);
    }
    if (stored instanceof Promise) {
      this.pendingLoads++; // an async load is outstanding work for whenIdle()
      stored.then(
        (bytes) => {
          this.pendingLoads--;
          if (this.cells.get(id) !== cell) return;
          this.finishActivation(cell, bytes);
        },
        (e) => {
          this.pendingLoads--;
          this.activationFailed(cell, e);
          this.checkIdle();
        },
      );
    } else this.finishActivation(cell, stored);
    return cell;
  }

  private lastKind: ActorBehavior<any, any> | null = null;
  /** Emptied mailboxes for reuse: activations and bursts then allocate none. */
  private readonly freeMailboxes: Mailbox[] = [];
  private dispatchNow = 0;

  /** Kind lookup; activations come in runs of one kind, so the last one is checked first. */
  private kindOf(id: ActorId, slash: number): ActorBehavior<any, any> {
    const last = this.lastKind;
    if (last !== null && last.kind.length === slash && id.startsWith(last.kind)) return last;
    const kind = id.slice(0, slash);
    const behavior = this.kinds.get(kind);
    if (behavior === undefined) throw new UnknownActorKindError(kind);
    this.lastKind = behavior;
    return behavior;
  }

  private finishActivation(cell: ActorCell<any, any>, bytes: Uint8Array | undefined): void {
    const b = cell.behavior;
    try {
      if (bytes === undefined) {
        cell.state = b.initialState(cell.key);
        this.counters.activations++;
      } else {
        const data = this.codec.decode(bytes);
        cell.state = b.restore ? b.restore(data, cell.key) : data;
        this.counters.reactivations++;
      }
    } catch (e) {
      this.activationFailed(cell, e);
      return;
    }
    cell.status = Status.Active;
    cell.lastActive = this.clock.now();
    if (this.events.active) this.events.emit({ type: "activated", id: cell.id, restored: bytes !== undefined });
    if (cell.mailbox !== null && cell.mailbox.length > 0) this.schedule(cell);
  }

  private activationFailed(cell: ActorCell<any, any>, e: unknown): void {
    this.cells.delete(cell.id);
    cell.drop();
    const err = e instanceof FypError ? e : new StateStoreError(`cannot activate ${cell.id}: ${errorMessage(e)}`, e);
    this.log.error({ kind: cell.kind, key: cell.key, err: errorMessage(e) }, "activation failed");
    if (this.events.active) this.events.emit({ type: "activation-failed", id: cell.id, error: err });
    const mb = cell.mailbox;
    while (mb !== null && mb.length > 0) {
      mb.shift();
      const r = mb.lastReply as ReplyTarget | undefined;
      if (r !== undefined) this.reply(r, false, err);
    }
  }

  /**
   * Writes an idle actor's state to the store and frees it at once. Until the store confirms the write,
   * the bytes stay in `unflushed`, where a re-activation finds them: the outcome never depends on when
   * the disk commits, which keeps virtual-time runs reproducible.
   */
  passivateCell(cell: ActorCell<any, any>): void {
    if (cell.status !== Status.Active || cell.busy || cell.scheduled) return;
    if (cell.mailbox !== null && cell.mailbox.length > 0) return;
    let bytes: Uint8Array;
    try {
      const b = cell.behavior;
      bytes = this.codec.encode(b.snapshot ? b.snapshot(cell.state) : cell.state);
    } catch (e) {
      this.log.error({ kind: cell.kind, key: cell.key, err: errorMessage(e) }, "cannot encode state; actor stays active");
      return;
    }
    cell.status = Status.Passivated;
    cell.passivateRequested = false;
    cell.cancelAllTimers();
    this.cells.delete(cell.id);
    cell.drop();
    this.counters.passivations++;
    this.unflushed.set(cell.id, bytes);
    let w: void | Promise<void>;
    try {
      w = this.store.put(cell.id, bytes);
    } catch (e) {
      this.log.error({ kind: cell.kind, key: cell.key, err: errorMessage(e) }, "cannot persist state; kept in memory");
      return;
    }
    if (w instanceof Promise) {
      this.writesInFlight++;
      w.then(
        () => this.writeDone(cell.id, bytes),
        (e) => {
          // The bytes stay in `unflushed`: the state is not lost, only not durable.
          this.log.error({ kind: cell.kind, key: cell.key, err: errorMessage(e) }, "cannot persist state; kept in memory");
          this.writeDone(cell.id, undefined);
        },
      );
    } else this.unflushed.delete(cell.id);
    if (this.events.active) this.events.emit({ type: "passivated", id: cell.id });
  }

  private writeDone(id: ActorId, bytes: Uint8Array | undefined): void {
    this.writesInFlight--;
    if (bytes !== undefined && this.unflushed.get(id) === bytes) this.unflushed.delete(id);
    if (this.writesInFlight === 0) {
      const ws = this.flushWaiters;
      this.flushWaiters = [];
      for (const w of ws) w();
    }
  }

  /** Resolves when every passivated state handed to the store so far is committed. */
  flushWrites(): Promise<void> {
    if (this.writesInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  /**
   * Passivates every idle actor whose last message is older than the idle time. An actor with a pending
   * timer is not idle: it expects a message (a simulated viewer thinking, a coordinator's tick).
   */
  sweep(): number {
    const cutoff = this.clock.now() - this.opts.passivationIdleMs;
    let n = 0;
    for (const cell of this.cells.values()) {
      if (cell.lastActive <= cutoff && cell.status === Status.Active && !cell.busy && !cell.scheduled && !cell.hasTimers()) {
        this.passivateCell(cell);
        n++;
      }
    }
    return n;
  }

  /** Passivates one actor by id if it is idle (tools and tests). */
  passivate(id: ActorId): void {
    const cell = this.cells.get(id);
    if (cell !== undefined) this.passivateCell(cell);
  }

  private armSweep(): void {
    this.sweepTimer = this.clock.setTimer(this.opts.sweepIntervalMs, () => {
      if (this.stopped) return;
      this.sweep();
      this.armSweep();
    }, true);
  }

  /** Stops timers, optionally persists every actor, fails pending asks. */
  async stop(opts: { passivateAll?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    await this.whenIdle();
    if (opts.passivateAll) {
      for (const cell of [...this.cells.values()]) this.passivateCell(cell);
      await this.whenIdle();
    }
    await this.flushWrites();
    this.stopped = true;
    this.sweepTimer?.cancel();
    for (const cell of this.cells.values()) cell.cancelAllTimers();
    for (const [corr, p] of this.pending) {
      p.timer.cancel();
      p.reject(new SystemStoppedError(`ask ${corr} pending at stop`));
    }
    this.pending.clear();
    if (this.events.active) this.events.emit({ type: "stopped" });
  }
}
