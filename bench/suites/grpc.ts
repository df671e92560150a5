import { readFileSync } from "node:fs";
import { WallClock } from "../../actors/index.ts";
import { ActorFeedBackend, createFeedClient, createFeedNode, silentLogger, type FeedClient } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { LatencyHistogram, type GrpcLoadReport } from "../../loadtest/index.ts";
import { startGrpcGenerator, type GrpcGenerator } from "../grpc-generator.ts";
import { round, type Emit } from "../row.ts";
import { shedByReason, startServe, stopServe } from "../serve-process.ts";

/**
 * gRPC serving: `fyp serve` in its own process (the real feed node, 100k-video synthetic catalog, small
 * profile dims) driven open-loop by a generator process (bench/grpc-generator.ts) with the lean HTTP/2 GetFeed
 * caller (the grpc-js client cost as much CPU per call as the server, on the same two cores). Both run with
 * NODE_FLAGS. The in-process twin for the overhead ratio is built after the load runs. The 500 and 1,000 req/s rows
 * are the median of ROUNDS rounds of RUN_MS each (every round's p99 is in the row's config); the max-rate
 * search steps up in rounds of 2 s and stops at the first rate of which 2 of (up to) 3 rounds do not pass (p99
 * over 50 ms, or any shed); the overload row offers twice the last sustained rate and counts every answer by status.
 */
const VIDEOS = 100_000;
const PROFILE = "small";
const RUN_MS = 3000;
const P99_BUDGET_MS = 50;
const LOAD = { users: 20_000, count: 10, deadlineMs: 1000 };
/**
 * V8's parallel GC makes the main thread wait for helper threads; on two cores shared with the load generator
 * (and anything else) those helpers are often not scheduled, and scavenges measured 24-79 ms instead of 3-10 ms.
 * Single-threaded GC keeps pauses short here. (Bigger young generations were tried and made it worse: 64 MB
 * semi-spaces gave 22-33 ms scavenges, 4 MB ones more frequent old-space collections.)
 */
const SERVE_NODE_FLAGS = ["--single-threaded-gc"];
/** The generator's GC pauses count as latency of every answer arriving meanwhile: the same flag there. */
const GENERATOR_NODE_FLAGS = ["--single-threaded-gc"];
const SERVE_ARGS = ["--profile", PROFILE, "--port", "0", "--metrics-port", "0", "--videos", String(VIDEOS), "--log-level", "warn", "--set", "storage.stateStore=memory"];

/** CPU time (ms, all threads) a process has used, from /proc; null where there is none. */
function cpuMsOf(pid: number | undefined): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in USER_HZ (100) ticks
  } catch {
    return null;
  }
}

/**
 * Rounds per rate for the p50/p99 rows: one round's p99 rests on its worst 30 answers, and one stall moves it.
 * FYP_BENCH_GRPC_ROUNDS=30 shows how often rounds meet a stall (every round's p99 is in the row's config).
 */
const ROUNDS = Math.max(1, Math.floor(Number(process.env.FYP_BENCH_GRPC_ROUNDS ?? 3)) || 3);

/**
 * Warm-up before anything is measured (ms of load at WARM_RATE, `FYP_BENCH_GRPC_WARM_MS`; 0 = only the short JIT
 * warm-up): a server's p99 at a rate is its steady state's, not its first seconds'. A young server activates
 * most of the 20,000 users for the first time (cold sessions cost more), grows its heap from the catalog build,
 * and takes its first major GCs: 30 s at 1,500 req/s (~45k requests, ~90% of the users) is past that. The rows'
 * config carries the warm-up, so runs with another one are not compared by mistake.
 */
const WARM_MS = Math.max(0, Number(process.env.FYP_BENCH_GRPC_WARM_MS ?? 30_000) || 0);
const WARM_RATE = 1500;

const median = (xs: readonly number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

function rows(emit: Emit, rounds: readonly GrpcLoadReport[], extra: Record<string, unknown>): void {
  const r = rounds[0]!;
  const sum = (f: (x: GrpcLoadReport) => number): number => rounds.reduce((a, x) => a + f(x), 0);
  const codes: Record<string, number> = {};
  for (const x of rounds) for (const [k, n] of Object.entries(x.codes)) codes[k] = (codes[k] ?? 0) + n;
  // max_schedule_lag_ms well above a few ms means this process (the generator) was starved, not the server.
  const config = {
    rate: r.rate, duration_ms: r.durationMs, rounds: rounds.length, statistic: `median of ${rounds.length} rounds`, videos: VIDEOS, profile: PROFILE, ...LOAD,
    warm_up: { ms: WARM_MS, rate: WARM_RATE },
    codes, achieved_rps: round(sum((x) => x.achievedRps) / rounds.length, 1),
    p50_rounds_ms: rounds.map((x) => x.ok.p50), p99_rounds_ms: rounds.map((x) => x.ok.p99), p999_rounds_ms: rounds.map((x) => x.ok.p999),
    max_schedule_lag_ms: Math.max(...rounds.map((x) => x.maxScheduleLagMs)), generator_gc_max_ms: Math.max(...rounds.map((x) => x.generatorGcMaxMs)),
    generator_cpu_share: Math.max(...rounds.map((x) => x.generatorCpuShare)), send_lag_p99_ms: median(rounds.map((x) => x.sendLag.p99)),
    p99_from_send_ms: median(rounds.map((x) => x.okFromSend.p99)), node_flags: SERVE_NODE_FLAGS, generator_node_flags: GENERATOR_NODE_FLAGS, ...extra,
  };
  emit({ name: "grpc.getfeed.p50_ms", value: median(rounds.map((x) => x.ok.p50)), unit: "ms", config });
  emit({ name: "grpc.getfeed.p99_ms", value: median(rounds.map((x) => x.ok.p99)), unit: "ms", config });
}

const passes = (r: GrpcLoadReport): boolean => r.ok.p99 <= P99_BUDGET_MS && r.shedShare === 0 && (r.codes.OK ?? 0) === r.sent;

/** Sequential GetFeed latency (p50 of the successful ones) of `n` requests. */
async function sequential(n: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const h = new LatencyHistogram();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const ok = await call(i).then(() => true, () => false);
    if (ok) h.recordMs(performance.now() - t0);
  }
  return h.summary().p50;
}

export async function run(emit: Emit): Promise<void> {
  const { child, address, metrics } = await startServe(SERVE_ARGS, SERVE_NODE_FLAGS);
  /** The server's refusals by reason (in_flight, event_loop, stale, mailbox_backlog) during `run`. */
  const shedDuring = async <T>(run: () => Promise<T>): Promise<[T, Record<string, number>]> => {
    const before = await shedByReason(metrics);
    const r = await run();
    const after = await shedByReason(metrics);
    return [r, Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n - (before[k] ?? 0)]).filter(([, n]) => n !== 0))];
  };
  let client: FeedClient | undefined;
  let gen: GrpcGenerator | undefined;
  let node: ReturnType<typeof createFeedNode> | undefined;
  try {
    gen = await startGrpcGenerator(`grpc://${address}`, GENERATOR_NODE_FLAGS);
    const g = gen;
    await g.run({ rate: 200, durationMs: 1500, ...LOAD, seed: 1 }); // warm-up (JIT, first sessions)
    if (WARM_MS > 0) {
      process.stderr.write(`bench grpc: warming up ${WARM_MS / 1000} s at ${WARM_RATE} req/s\n`);
      await g.run({ rate: WARM_RATE, durationMs: WARM_MS, ...LOAD, seed: 2 });
    }

    let maxRps = 0;
    for (const rate of [500, 1000]) {
      const rounds: GrpcLoadReport[] = [];
      const cpuUs: number[] = [];
      const shedReasons: Record<string, number> = {};
      for (let i = 0; i < ROUNDS; i++) {
        const c0 = cpuMsOf(child.pid);
        const [r, shed] = await shedDuring(() => g.run({ rate, durationMs: RUN_MS, ...LOAD, seed: rate + i }));
        const c1 = cpuMsOf(child.pid);
        for (const [k, n] of Object.entries(shed)) shedReasons[k] = (shedReasons[k] ?? 0) + n;
        if (c0 !== null && c1 !== null) cpuUs.push(round(((c1 - c0) * 1000) / Math.max(1, r.sent), 0));
        rounds.push(r);
      }
      rows(emit, rounds, { shed_share: median(rounds.map((x) => x.shedShare)), shed_reasons: shedReasons, server_cpu_us_per_request_rounds: cpuUs });
      if (rate === 1000 && cpuUs.length > 0) {
        // CPU per request (10 ms ticks over ~3,000 requests): steadier than latency when other work shares the cores
        emit({
          name: "grpc.getfeed.server_cpu_us", value: median(cpuUs), unit: "us/request",
          config: { rate, rounds: cpuUs, statistic: `median of ${cpuUs.length} rounds`, note: "fyp serve process CPU (all threads, GC included) / requests sent", videos: VIDEOS, profile: PROFILE, node_flags: SERVE_NODE_FLAGS },
        });
      }
      // the rate is sustained when the median round passes (as the figure reported is the median)
      if (rounds.filter(passes).length * 2 > rounds.length) maxRps = rate;
    }
    const steps: { rate: number; p99_ms: number[]; shed: number[] }[] = [];
    if (maxRps === 1000) {
      for (const rate of [1500, 2000, 2500, 3000, 4000, 5000, 6000]) {
        // a rate is sustained when 2 of (up to) 3 rounds of 2 s pass: one round's p99 rests on its worst 20
        // answers, and a single major GC pause in it would otherwise end the search
        const step = { rate, p99_ms: [] as number[], shed: [] as number[] };
        let passed = 0;
        for (let i = 0; i < 3 && passed < 2 && step.p99_ms.length - passed < 2; i++) {
          const r = await g.run({ rate, durationMs: 2000, ...LOAD, seed: rate + i });
          process.stderr.write(`bench grpc: ${rate} req/s -> p99 ${r.ok.p99} ms, shed ${r.shedShare}, achieved ${r.achievedRps}\n`);
          step.p99_ms.push(r.ok.p99);
          step.shed.push(r.shedShare);
          if (passes(r)) passed++;
        }
        steps.push(step);
        if (passed < 2) break;
        maxRps = rate;
      }
    }
    emit({
      name: "grpc.getfeed.max_rps", value: maxRps, unit: "req/s",
      config: { p99_budget_ms: P99_BUDGET_MS, videos: VIDEOS, profile: PROFILE, step_ms: 2000, statistic: "2 of up to 3 rounds pass", steps, node_flags: SERVE_NODE_FLAGS, warm_up: { ms: WARM_MS, rate: WARM_RATE } },
    });

    const overloadRate = Math.max(1000, 2 * maxRps);
    // Every answer is counted by status: admitted (OK) latency, the share shed (RESOURCE_EXHAUSTED), and any
    // other outcome (DEADLINE_EXCEEDED, UNAVAILABLE, client_overflow...) stays visible in `codes`.
    const [o, overloadShed] = await shedDuring(() => g.run({ rate: overloadRate, durationMs: RUN_MS, ...LOAD, seed: 99 }));
    const other = Object.entries(o.codes).filter(([k]) => k !== "OK" && k !== "RESOURCE_EXHAUSTED").reduce((a, [, n]) => a + n, 0);
    const oc = {
      rate: overloadRate, duration_ms: RUN_MS, warm_up: { ms: WARM_MS, rate: WARM_RATE }, codes: o.codes, shed_reasons: overloadShed, admitted: o.ok.count, admitted_p50_ms: o.ok.p50, admitted_p999_ms: o.ok.p999,
      other_share: round(other / Math.max(1, o.sent), 4), achieved_rps: o.achievedRps, videos: VIDEOS, profile: PROFILE,
      max_schedule_lag_ms: o.maxScheduleLagMs, generator_gc_max_ms: o.generatorGcMaxMs, generator_cpu_share: o.generatorCpuShare, send_lag_p99_ms: o.sendLag.p99, p99_from_send_ms: o.okFromSend.p99, node_flags: SERVE_NODE_FLAGS,
    };
    emit({ name: "grpc.overload.p99_ms", value: o.ok.p99, unit: "ms", config: oc });
    emit({ name: "grpc.overload.shed_share", value: o.shedShare, unit: "share", config: oc });

    // Overhead: the same feed request in-process (actor ask) vs over gRPC (the project's grpc-js client),
    // sequential, same catalog. The in-process twin is built only now, so it took nothing from the load runs.
    const config = loadConfig({ profile: PROFILE, env: {}, overrides: { "simulate.videos": VIDEOS, "storage.stateStore": "memory" } });
    node = createFeedNode({ config, clock: new WallClock(), log: silentLogger(), nodeId: "bench-inproc" });
    const backend = new ActorFeedBackend(node.system, "bench-inproc");
    client = createFeedClient({ target: `grpc://${address}` });
    await client.waitReady(30_000);
    const n = 1000;
    const inproc = await sequential(n, (i) => backend.getFeed(`o${i % 500}`, LOAD.count, Date.now(), 1000));
    const c = client;
    const over = await sequential(n, (i) => c.getFeed({ userId: `o${i % 500}`, count: LOAD.count }, { deadlineMs: 1000 }));
    emit({
      name: "grpc.overhead.ratio",
      value: round(over / Math.max(inproc, 0.001), 2),
      unit: "x",
      baseline: inproc,
      config: { grpc_p50_ms: over, inproc_p50_ms: inproc, requests: n, note: "gRPC p50 / in-process p50, sequential" },
    });
  } finally {
    await gen?.close();
    client?.close();
    await stopServe(child);
    await node?.close();
  }
}
