import { createCodec } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, RemoteRouter, WallClock } from "../../actors/index.ts";
import { KvLeaseTable, NatsTransport, RpcError, createFeedClient, silentLogger, type FeedClient } from "../../cluster/index.ts";

/**
 * A client-side probe: an actor system that owns no shard and asks session actors through the cluster
 * (a short watch of a longer video counts as a skip: both are events the session recorded).
 */
export async function clusterProbe(url: string, cluster: string, numShards: number) {
  const transport = await NatsTransport.connect({ servers: url, name: `probe-${cluster}`, log: silentLogger(), reconnectWaitMs: 50 });
  const system = new ActorSystem({
    clock: new WallClock(), store: new MemoryStateStore(), codec: createCodec(), log: silentLogger(), mailboxCapacity: 1000, askTimeoutMs: 2000,
    passivationIdleMs: 600_000, sweepIntervalMs: 0, throughput: 32, dispatchBatch: 1000,
  });
  const router = new RemoteRouter({
    system, transport, codec: createCodec(), cluster, nodeId: `probe-${process.pid}`, log: silentLogger(),
    ownership: { numShards, isLocalShard: () => false, localShards: () => [] },
  });
  router.start();
  await transport.flush();
  const events = (u: string) => system.ask<{ watches: number; skips: number }>(`session/${u}`, { type: "session.get-state" }).then((s) => s.watches + s.skips);
  return { transport, system, events, close: () => transport.close() };
}

export type Probe = Awaited<ReturnType<typeof clusterProbe>>;

/**
 * The cluster's lease renewals as seen through `probe` (every node renews its lease each heartbeat): `next()`
 * resolves at the next renewal or change, an event that takes real time for re-reads to wait on; `latest`
 * holds each node's latest lease info (its applied sequence, owned shards...); `gone(node)` resolves when a
 * node's lease is removed.
 */
export async function leaseRenewals(probe: Probe, cluster: string) {
  const leases = await KvLeaseTable.open(probe.transport.connection, cluster);
  const latest = new Map<string, Record<string, string>>();
  let waiters: (() => void)[] = [];
  const removed = new Map<string, ((at: number) => void)[]>();
  const watch = await leases.watch((ch) => {
    if (ch.record !== undefined) latest.set(ch.nodeId, ch.record.info);
    else for (const r of removed.get(ch.nodeId) ?? []) r(performance.now());
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  });
  return {
    leases,
    latest,
    next: () => new Promise<void>((r) => waiters.push(r)),
    /** Resolves with the time (performance.now()) `node`'s lease is removed; arm it before the failure. */
    gone: (node: string) => new Promise<number>((r) => removed.set(node, [...(removed.get(node) ?? []), r])),
    stop: () => watch.stop(),
  };
}

/**
 * Steady ReportEvents load (batches of 10 watches, round-robin over `users`) through gRPC clients of the
 * given nodes. Counts, per user, the events of fully acknowledged calls; failed calls are counted by status.
 */
export class EventLoad {
  readonly acked = new Map<string, number>();
  total = 0;
  failedCalls = 0;
  readonly failures = new Map<string, number>();
  private stopped = false;
  private readonly waiters: { n: number; resolve: () => void }[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly clients: FeedClient[] = [];

  constructor(private readonly users: readonly string[]) {}

  /** Starts one closed loop against a node's gRPC address. */
  add(grpc: string, offset: number): void {
    const client = createFeedClient({ target: `grpc://${grpc}` });
    this.clients.push(client);
    this.loops.push(this.loop(client, offset));
  }

  /** Resolves once `n` events in all were acknowledged. */
  reached(n: number): Promise<void> {
    if (this.total >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** Resolves once `n` more events than now were acknowledged. */
  more(n: number): Promise<void> {
    return this.reached(this.total + n);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const c of this.clients) c.close();
  }

  private async loop(client: FeedClient, offset: number): Promise<void> {
    for (let i = 0; !this.stopped && i < 1_000_000; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => this.users[(offset + i * 10 + j) % this.users.length]!);
      try {
        const r = await client.reportEvents(batch.map((u) => ({ userId: u, type: "EVENT_TYPE_WATCH", videoId: "v1", watchMs: 1000, durationMs: 2000 })), { deadlineMs: 5000 });
        if (r.accepted !== batch.length) throw new Error(`accepted ${r.accepted} of ${batch.length}`);
        for (const u of batch) this.acked.set(u, (this.acked.get(u) ?? 0) + 1);
        this.total += r.accepted;
        for (let k = this.waiters.length - 1; k >= 0; k--) if (this.total >= this.waiters[k]!.n) this.waiters.splice(k, 1)[0]!.resolve();
      } catch (e) {
        // not acknowledged: not counted (it may or may not have been logged)
        this.failedCalls++;
        const key = e instanceof RpcError ? `${e.code} ${e.trailers["fyp-error-code"] ?? ""}`.trim() : String(e);
        this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
        if (this.failedCalls > 10_000) return;
      }
    }
  }

  /**
   * Reads every user's count through `probe` until each is at least the acknowledged one (the owners apply
   * the log asynchronously); bounded: at most `maxRounds` reads, awaiting `between()` after each short one
   * (a NATS round trip unless the test passes an event that takes real time, such as a lease renewal).
   * Returns the last counts.
   */
  async converged(probe: Probe, maxRounds = 100, between: () => Promise<unknown> = () => probe.transport.flush()): Promise<number[]> {
    let got: number[] = [];
    for (let round = 0; round < maxRounds; round++) {
      got = await Promise.all(this.users.map((u) => probe.events(u).catch(() => -1)));
      if (got.every((g, i) => g >= (this.acked.get(this.users[i]!) ?? 0))) break;
      await between();
    }
    return got;
  }

  expected(): number[] {
    return this.users.map((u) => this.acked.get(u) ?? 0);
  }
}

/**
 * Steady GetFeed load (closed loops through gRPC clients of the given nodes, round-robin over `users`):
 * counts calls, failed calls by status, and the model version each user's feed items were last scored with.
 */
export class FeedLoad {
  ok = 0;
  failedCalls = 0;
  readonly failures = new Map<string, number>();
  /** user -> model version of its latest feed's items. */
  readonly versionOf = new Map<string, string>();
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly clients: FeedClient[] = [];
  private readonly waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly users: readonly string[]) {}

  add(grpc: string, offset: number): void {
    const client = createFeedClient({ target: `grpc://${grpc}` });
    this.clients.push(client);
    this.loops.push(this.loop(client, offset));
  }

  /**
   * Resolves once `check` holds after some call (checked after every call); rejects after `timeoutMs` with
   * the versions seen and the failures so far (a test fails with a reason instead of hanging).
   */
  until(check: () => boolean, timeoutMs = 90_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const versions = JSON.stringify(Object.fromEntries(this.versionOf));
        reject(new Error(`feed load: condition not met within ${timeoutMs} ms (${this.ok} served, ${this.failedCalls} failed: ${JSON.stringify([...this.failures])}; versions ${versions})`));
      }, timeoutMs);
      this.waiters.push({ check, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const c of this.clients) c.close();
  }

  private async loop(client: FeedClient, offset: number): Promise<void> {
    for (let i = offset; !this.stopped; i++) {
      const u = this.users[i % this.users.length]!;
      try {
        const r = await client.getFeed({ userId: u, count: 5 }, { deadlineMs: 5000 });
        const versions = new Set(r.items.map((it) => it.modelVersion));
        if (r.items.length === 0 || versions.size !== 1) throw new Error(`feed of ${u}: ${r.items.length} items, versions ${[...versions].join(",")}`);
        this.versionOf.set(u, [...versions][0]!);
        this.ok++;
      } catch (e) {
        this.failedCalls++;
        const key = e instanceof RpcError ? `${e.code} ${e.trailers["fyp-error-code"] ?? ""} ${e.message}`.trim() : String(e);
        this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
        if (this.failedCalls > 1000) return;
      }
      for (let k = this.waiters.length - 1; k >= 0; k--) if (this.waiters[k]!.check()) this.waiters.splice(k, 1)[0]!.resolve();
    }
  }
}
