import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION, createCodec } from "../../protocols/index.ts";
import { RemoteRouter } from "../../actors/index.ts";
import { NatsTransport, connectClusterNode, placeShards, silentLogger } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { benchSystem, startBenchNats, type BenchNats } from "../cluster-kit.ts";
import { round, type Emit } from "../row.ts";

/**
 * The cluster over a real nats-server (own process, random loopback port, JetStream in a temp folder):
 *  - cluster.tell.msgs_per_s: tells from this process to 1,000 actors in another process (bench/cluster-child.ts),
 *    batched per shard and tick by the RemoteRouter, vs cluster.nats.raw_msgs_per_s: the same encoded
 *    envelopes published one per NATS message to a plain subscriber in that process, same server, same run;
 *  - cluster.ask.p50_ms / p99_ms: one ask at a time, round trip to the other process;
 *  - cluster.rebalance_s: 1,024 shards owned by this process's node, a second node (other process) joins:
 *    time from its join until both own exactly the new placement;
 *  - cluster.recovery_s: kill -9 of that node until this node owns all 1,024 shards again (default leases).
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const codec = createCodec();
const TELL = { actors: 1000, messages: 1_000_000, chunk: 10_000, numShards: 1024, payloadBytes: 0 };
const ASK = { asks: 3000, warmup: 300, inFlight: 1 };
const STATEFUL_ACTORS = 20_000;

interface Child {
  proc: ChildProcess;
  /** Resolves with the first JSON line whose `event` is `name`; rejects on exit or after `timeoutMs`. */
  next(name: string, timeoutMs: number): Promise<Record<string, unknown>>;
  kill9(): Promise<void>;
}

function startChild(args: string[]): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", "bench/cluster-child.ts", ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const seen: Record<string, unknown>[] = [];
  const waiters: { name: string; resolve: (o: Record<string, unknown>) => void }[] = [];
  let buf = "";
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-3000)));
  proc.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const o = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
      buf = buf.slice(nl + 1);
      const i = waiters.findIndex((w) => w.name === o.event);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(o);
      else seen.push(o);
    }
  });
  return {
    proc,
    next(name, timeoutMs) {
      const i = seen.findIndex((o) => o.event === name);
      if (i >= 0) return Promise.resolve(seen.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cluster bench child ${args[0]}: no "${name}" within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        const onExit = (code: number | null) => reject(new Error(`cluster bench child ${args[0]} exited (${code}) before "${name}"; stderr: ${err}`));
        proc.once("exit", onExit);
        waiters.push({
          name,
          resolve: (o) => {
            clearTimeout(timer);
            proc.off("exit", onExit);
            resolve(o);
          },
        });
      });
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** tell and raw throughput, ask latency: this process -> a target process. */
async function messaging(nats: BenchNats, emit: Emit): Promise<void> {
  const cluster = "tell";
  const child = startChild(["target", nats.url, cluster, String(TELL.numShards)]);
  const transport = await NatsTransport.connect({ servers: nats.url, name: "bench-sender", log: silentLogger() });
  try {
    await child.next("ready", 30_000);
    const system = benchSystem();
    const router = new RemoteRouter({
      system, transport, codec, cluster, nodeId: "sender", log: silentLogger(),
      ownership: { numShards: TELL.numShards, isLocalShard: () => false, localShards: () => [] },
    });
    router.start();
    await transport.flush();
    const ids = Array.from({ length: TELL.actors }, (_, i) => `c/k${i}`);
    const payloads = ids.map((to) => codec.encode({ v: PROTOCOL_VERSION, to, msg: { type: "inc" } }));
    TELL.payloadBytes = payloads[0]!.length;
    const done = async (): Promise<{ told: number; raw: number }> => codec.decode(await transport.request(`bench.${cluster}.done`, new Uint8Array(0), 120_000));
    const inc = { type: "inc" } as const;

    // Every chunk is followed by a flush round trip (PING/PONG): bounded buffers on both paths.
    const tellRun = async (n: number): Promise<number> => {
      const before = (await done()).told;
      const t0 = performance.now();
      for (let sent = 0; sent < n; sent += TELL.chunk) {
        for (let i = sent; i < sent + TELL.chunk; i++) system.tell(ids[i % TELL.actors]!, inc);
        router.flush();
        await transport.flush();
      }
      const after = (await done()).told;
      const s = (performance.now() - t0) / 1000;
      if (after - before !== n) throw new Error(`cluster tell bench: ${after - before} of ${n} tells handled`);
      return n / s;
    };
    const rawRun = async (n: number): Promise<number> => {
      const subject = `bench.${cluster}.raw`;
      const before = (await done()).raw;
      const t0 = performance.now();
      for (let sent = 0; sent < n; sent += TELL.chunk) {
        for (let i = sent; i < sent + TELL.chunk; i++) transport.publish(subject, payloads[i % TELL.actors]!);
        await transport.flush();
      }
      const after = (await done()).raw;
      const s = (performance.now() - t0) / 1000;
      if (after - before !== n) throw new Error(`cluster raw bench: ${after - before} of ${n} messages received`);
      return n / s;
    };
    await tellRun(100_000);
    await rawRun(100_000);
    let tell = 0;
    let raw = 0;
    for (let r = 0; r < 2; r++) {
      tell = Math.max(tell, await tellRun(TELL.messages));
      raw = Math.max(raw, await rawRun(TELL.messages));
    }
    const batches = router.counters.sentBatches;
    const envelopes = router.counters.sentEnvelopes;
    const cfg = { ...TELL, processes: 2, transport: "nats-server loopback", envelopesPerBatch: round(envelopes / Math.max(1, batches), 1) };
    emit({ name: "cluster.tell.msgs_per_s", value: Math.round(tell), unit: "msg/s", config: cfg });
    emit({ name: "cluster.nats.raw_msgs_per_s", value: Math.round(raw), unit: "msg/s", config: { ...cfg, batching: false, subscriber: "counts only" } });
    emit({ name: "cluster.tell.vs_raw", value: round(tell / raw), unit: "x", baseline: Math.round(raw), ratio: round(tell / raw), config: cfg });

    const lat: number[] = [];
    for (let i = 0; i < ASK.warmup + ASK.asks; i++) {
      const t0 = performance.now();
      await system.ask(ids[i % TELL.actors]!, { type: "get" });
      if (i >= ASK.warmup) lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    const acfg = { ...ASK, processes: 2, numShards: TELL.numShards };
    emit({ name: "cluster.ask.p50_ms", value: round(percentile(lat, 0.5), 3), unit: "ms", config: acfg });
    emit({ name: "cluster.ask.p99_ms", value: round(percentile(lat, 0.99), 3), unit: "ms", config: acfg });
    await router.stop();
    await system.stop();
  } finally {
    await child.kill9();
    await transport.close();
  }
}

/** A node joining a one-node cluster of 1,024 shards, then killed with SIGKILL. */
async function rebalanceAndRecovery(nats: BenchNats, emit: Emit): Promise<void> {
  const cluster = "rb";
  const settings = loadConfig({ env: {} }).cluster;
  const system = benchSystem();
  const a = await connectClusterNode({ servers: nats.url, cluster, nodeId: "a", settings, system, log: silentLogger() });
  const child = startChild(["member", nats.url, cluster, "b"]);
  try {
    await a.node.start();
    await a.node.shards.whenSettled();
    if (a.node.shards.ownedCount() !== settings.numShards) throw new Error(`node a owns ${a.node.shards.ownedCount()} of ${settings.numShards} shards`);
    for (let i = 0; i < STATEFUL_ACTORS; i++) system.tell(`c/s${i}`, { type: "inc" });
    await system.whenIdle();
    await child.next("connected", 30_000);

    const sawB = a.node.membership.events.next("view", (e) => e.members.includes("b"));
    const bSettled = child.next("settled", 60_000);
    const t0 = performance.now();
    child.proc.stdin!.write("join\n");
    await sawB;
    const seen = (performance.now() - t0) / 1000;
    await a.node.shards.whenSettled();
    const aDone = (performance.now() - t0) / 1000;
    const b = await bSettled;
    const rebalance = (performance.now() - t0) / 1000;
    const want = placeShards(settings.numShards, ["a", "b"]);
    if (a.node.shards.ownedCount() !== want.get("a")!.length || b.owned !== want.get("b")!.length) {
      throw new Error(`after the join a owns ${a.node.shards.ownedCount()} (want ${want.get("a")!.length}), b ${String(b.owned)} (want ${want.get("b")!.length})`);
    }
    const moved = want.get("b")!.length;
    const cfg = { numShards: settings.numShards, moved, statefulActors: STATEFUL_ACTORS, processes: 2, heartbeatMs: settings.heartbeatMs, handoffTimeoutMs: settings.handoffTimeoutMs, viewS: round(seen, 3), releasedS: round(aDone, 3) };
    emit({ name: "cluster.rebalance_s", value: round(rebalance, 3), unit: "s", config: cfg });

    const lostB = a.node.membership.events.next("view", (e) => !e.members.includes("b"));
    const k0 = performance.now();
    await child.kill9();
    await lostB;
    const detected = (performance.now() - k0) / 1000;
    await a.node.shards.whenSettled();
    const recovery = (performance.now() - k0) / 1000;
    if (a.node.shards.ownedCount() !== settings.numShards) throw new Error(`after the kill a owns ${a.node.shards.ownedCount()} of ${settings.numShards}`);
    // The moved actors came back from b's checkpoints: every count is still 1.
    let sum = 0;
    for (let i = 0; i < STATEFUL_ACTORS; i += 1) sum += await system.ask<number>(`c/s${i}`, { type: "get" });
    if (sum !== STATEFUL_ACTORS) throw new Error(`after recovery the actors count ${sum} incs, want ${STATEFUL_ACTORS}`);
    emit({
      name: "cluster.recovery_s", value: round(recovery, 3), unit: "s",
      config: { numShards: settings.numShards, taken: moved, statefulActors: STATEFUL_ACTORS, leaseMs: settings.leaseMs, heartbeatMs: settings.heartbeatMs, detectedS: round(detected, 3) },
    });
  } finally {
    await child.kill9();
    await a.node.crash();
    await a.close();
    await system.stop();
  }
}

export async function run(emit: Emit): Promise<void> {
  const nats = await startBenchNats();
  try {
    await messaging(nats, emit);
    await rebalanceAndRecovery(nats, emit);
  } finally {
    await nats.stop();
  }
}
