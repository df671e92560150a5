import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFeedClient, type FeedClient } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { SyntheticWorld, worldParamsFor } from "../../models/index.ts";
import { runClosedLoop, type ClosedLoopReport } from "../../loadtest/index.ts";
import type { Emit } from "../row.ts";
import { startBenchNats } from "../cluster-kit.ts";
import { startServe, stopServe } from "../serve-process.ts";

/**
 * `fyp simulate` at scale, `small` profile, each run in its own process (bench/simulate-child.ts):
 *  - throughput: FYP_BENCH_SIM_SESSIONS (default 5,000) sessions run to the end -> simulate.events_per_s
 *    (interactions: served items watched or skipped, per wall second), simulate.messages_per_s,
 *    simulate.realtime_factor; the same split over FYP_BENCH_SIM_WORKERS (default 2; 1 skips it) worker
 *    threads -> simulate.parallel.events_per_s, simulate.parallel.speedup (against the one-node run),
 *    simulate.parallel.wait_share (the share of the wall time the most waiting node was blocked on its peers);
 *    and the same nodes as processes meeting over a nats-server on loopback (skipped without nats-server)
 *    -> simulate.parallel_nats.events_per_s, with the threads' rate of this bench run and whether the
 *    checksums agree (they must);
 *  - 1,000,000 sessions up to a virtual horizon (FYP_BENCH_SIM_UNTIL_MS, default 30 s of the 600 s arrival
 *    window; 0 runs it out) -> simulate.sessions_1m.rss_bytes (peak RSS), the sessions in progress at the
 *    horizon and the live heap each holds (after a full collection at the horizon; bytes_per_session).
 *    A million sessions in progress at once: bench/sessions-1m-memory.ts (stub pipeline; ~25 min here);
 *  - loadtest.grpc.closed_loop.sessions: `fyp serve` in a child process, closed-loop behavioural sessions
 *    (real time: they watch and think as long as the user model says) from this process, stepped up
 *    until GetFeed or ReportEvents p99 exceeds 50 ms or a call fails; the row is the last count that held.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const VIDEOS = 20_000;
const P99_BUDGET_MS = 50;
/** The config the children start from (for the lockstep settings the rows record). */
const DEFAULTS = loadConfig({ profile: "small", env: {} });

interface ChildOut {
  summary: {
    items: number; messages: number; eventsPerSec: number; checksum: string; messagesPerSec: number; realTimeFactor: number; virtualMs: number; wallMs: number;
    peakActiveActors: number; peakConcurrentSessions: number; sessions: number;
  };
  maxRssBytes: number;
  baseRssBytes: number;
  arrivedUsers: number;
  peakConcurrentSessions: number;
  bytesPerConcurrentSession: number;
  liveHeapBytesPerSession: number;
  wallMs: number;
  /** CPU time of the run (from the first arrival on) and the interactions per CPU second. */
  cpuMs: number;
  eventsPerCpuSec: number;
  /** A parallel run's lockstep figures (waitMs: each node's wall ms spent waiting for its peers). */
  nodes?: { epochs: number; waitMs: number[] };
}

function child(sessions: number, untilMs: number, overrides?: Record<string, unknown>, natsUrl?: string): Promise<ChildOut> {
  return new Promise((resolve, reject) => {
    // no --expose-gc: runSimulation then skips its forced GC at every new peak of active actors
    const p = spawn(process.execPath, ["--max-old-space-size=8192", "--import", "tsx", "bench/simulate-child.ts", String(sessions), String(VIDEOS), String(untilMs), "small", ...(overrides !== undefined ? ["-", JSON.stringify(overrides)] : []), ...(natsUrl !== undefined ? [natsUrl] : [])], {
      cwd: ROOT, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "", err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as ChildOut) : reject(new Error(`simulate child exited ${code}: ${err.slice(-3000)}`))));
  });
}

function startServer(videos: number): Promise<{ child: ChildProcess; address: string }> {
  return startServe(["--profile", "small", "--port", "0", "--no-metrics", "--videos", String(videos), "--log-level", "warn", "--set", "storage.stateStore=memory"]);
}

const holds = (r: ClosedLoopReport): boolean =>
  r.getFeed.latency.p99 <= P99_BUDGET_MS && r.reportEvents.latency.p99 <= P99_BUDGET_MS &&
  (r.getFeed.codes.OK ?? 0) === r.getFeed.calls && (r.reportEvents.codes.OK ?? 0) === r.reportEvents.calls;

/** Steps the closed-loop session count up until p99 passes the budget; returns the last that held. */
async function closedLoop(emit: Emit): Promise<void> {
  const videos = Number(process.env.FYP_BENCH_CLOSED_VIDEOS ?? VIDEOS);
  const stepMs = Number(process.env.FYP_BENCH_CLOSED_STEP_MS ?? 30_000);
  const steps = (process.env.FYP_BENCH_CLOSED_SESSIONS ?? "250,500,1000,2000,4000,8000,16000,32000").split(",").map(Number);
  const config = loadConfig({ profile: "small", env: {}, overrides: { "simulate.videos": videos } });
  const world = new SyntheticWorld(worldParamsFor(config.synthetic.params), config.synthetic.seed, config.synthetic.users, videos);
  const { child: server, address } = await startServer(videos);
  let client: FeedClient | undefined;
  let held: ClosedLoopReport | undefined;
  let failed: ClosedLoopReport | undefined;
  try {
    client = createFeedClient({ target: `grpc://${address}` });
    await client.waitReady(30_000);
    // warm-up (JIT, first activations), not measured: a few fast sessions
    await runClosedLoop(client, { sessions: 50, durationMs: 5000, count: 10, deadlineMs: 2000, speed: 20, world, params: { ...config.simulate }, userPrefix: "warm-", rampMs: 1000 });
    for (const [i, sessions] of steps.entries()) {
      // first requests spread over the whole step (a burst at t=0 would measure a thundering herd, not sessions)
      const r = await runClosedLoop(client, {
        sessions, durationMs: stepMs, count: 10, deadlineMs: 1000, speed: 1, world, params: { ...config.simulate },
        userPrefix: `cl${i}-`, rampMs: stepMs * 0.8,
      });
      if (!holds(r)) {
        failed = r;
        break;
      }
      held = r;
    }
  } finally {
    client?.close();
    await stopServe(server);
  }
  const brief = (r: ClosedLoopReport | undefined) => r === undefined ? null : {
    sessions: r.sessions, getFeedP99: r.getFeed.latency.p99, reportEventsP99: r.reportEvents.latency.p99, getFeedPerSec: r.getFeed.perSec,
    reportEventsPerSec: r.reportEvents.perSec, items: r.items, codes: { getFeed: r.getFeed.codes, reportEvents: r.reportEvents.codes },
    samples: { getFeed: r.getFeed.samples, reportEvents: r.reportEvents.samples },
  };
  emit({
    name: "loadtest.grpc.closed_loop.sessions", value: held?.sessions ?? 0, unit: "sessions",
    config: { videos, profile: "small", speed: 1, stepMs, p99BudgetMs: P99_BUDGET_MS, held: brief(held), firstFailing: brief(failed), server: "fyp serve (own process)" },
  });
}

/**
 * The parallel run again with its nodes as processes meeting over NATS (a nats-server on loopback): the
 * exchange's cost against the threads' run of this bench, and the check that it is the same run.
 */
async function overNats(emit: Emit, n: number, workers: number, threads: ChildOut, pcfg: Record<string, unknown>): Promise<void> {
  let nats;
  try {
    nats = await startBenchNats();
  } catch (e) {
    process.stderr.write(`simulate.parallel_nats skipped: ${(e as Error).message}\n`);
    return;
  }
  // the driver's CPU time is not the nodes' (they are other processes): no CPU figures here
  const { cpuMs: _c, waitMs: _w, ...base } = pcfg;
  try {
    const r = await child(n, 0, { "simulate.workers": workers }, nats.url);
    emit({
      name: "simulate.parallel_nats.events_per_s", value: r.summary.eventsPerSec, unit: "interactions/s",
      config: {
        ...base, transport: "nats (loopback, one server)", items: r.summary.items, wallMs: r.summary.wallMs, waitMs: r.nodes?.waitMs,
        threadsEventsPerSec: threads.summary.eventsPerSec, vsThreads: Math.round((100 * r.summary.eventsPerSec) / Math.max(1, threads.summary.eventsPerSec)) / 100,
        checksum: r.summary.checksum, sameAsThreads: r.summary.checksum === threads.summary.checksum,
      },
    });
  } finally {
    await nats.stop();
  }
}

/** FYP_BENCH_SIM=0 skips the simulations, FYP_BENCH_CLOSED_LOOP=0 the closed-loop search. */
export async function run(emit: Emit): Promise<void> {
  if (process.env.FYP_BENCH_SIM !== "0") await simulations(emit);
  if (process.env.FYP_BENCH_CLOSED_LOOP !== "0") await closedLoop(emit);
}

async function simulations(emit: Emit): Promise<void> {
  const n = Number(process.env.FYP_BENCH_SIM_SESSIONS ?? 5_000);
  const small = await child(n, 0);
  const cfg = { sessions: n, videos: VIDEOS, profile: "small", items: small.summary.items, virtualMs: small.summary.virtualMs, wallMs: small.summary.wallMs };
  emit({ name: "simulate.events_per_s", value: small.summary.eventsPerSec, unit: "interactions/s", config: cfg });
  // the same run per CPU second of the process (all its threads): steadier than the wall rate when other
  // processes share the cores
  emit({ name: "simulate.events_per_cpu_s", value: small.eventsPerCpuSec, unit: "interactions/cpu-s", config: { ...cfg, cpuMs: small.cpuMs } });
  emit({ name: "simulate.messages_per_s", value: small.summary.messagesPerSec, unit: "messages/s", config: cfg });
  emit({ name: "simulate.realtime_factor", value: small.summary.realTimeFactor, unit: "virtual/wall", config: cfg });

  // the same run split over worker threads (simulate.workers; a W-node cluster in lockstep, not the same
  // outcome), against the one-node run above as the baseline of this bench run
  const workers = Number(process.env.FYP_BENCH_SIM_WORKERS ?? 2);
  if (workers > 1) {
    const par = await child(n, 0, { "simulate.workers": workers });
    const pcfg = {
      ...cfg, workers, epochMs: DEFAULTS.simulate.epochMs, lagEpochs: DEFAULTS.simulate.lagEpochs, items: par.summary.items, virtualMs: par.summary.virtualMs, wallMs: par.summary.wallMs,
      cpuMs: par.cpuMs, oneNodeEventsPerSec: small.summary.eventsPerSec, waitMs: par.nodes?.waitMs,
    };
    emit({ name: "simulate.parallel.events_per_s", value: par.summary.eventsPerSec, unit: "interactions/s", config: pcfg });
    emit({ name: "simulate.parallel.events_per_cpu_s", value: par.eventsPerCpuSec, unit: "interactions/cpu-s", config: pcfg });
    emit({ name: "simulate.parallel.speedup", value: Math.round((100 * par.summary.eventsPerSec) / Math.max(1, small.summary.eventsPerSec)) / 100, unit: "x one node", config: pcfg });
    // the share of the run a node spent blocked on its peers (imbalance and synchronisation), the most waiting node's
    const waited = Math.max(0, ...(par.nodes?.waitMs ?? []));
    emit({ name: "simulate.parallel.wait_share", value: Math.round((1000 * waited) / Math.max(1, par.summary.wallMs)) / 1000, unit: "fraction of wall time", config: pcfg });
    await overNats(emit, n, workers, par, pcfg);
  }

  const untilMs = Number(process.env.FYP_BENCH_SIM_UNTIL_MS ?? 30_000);
  const big = await child(1_000_000, untilMs);
  const bcfg = {
    sessions: 1_000_000, videos: VIDEOS, profile: "small", untilMs, arrivedUsers: big.arrivedUsers, concurrentSessions: big.peakConcurrentSessions,
    baseRssBytes: big.baseRssBytes, wallMs: big.wallMs, items: big.summary.items,
  };
  emit({ name: "simulate.sessions_1m.rss_bytes", value: big.maxRssBytes, unit: "bytes", config: bcfg });
  // peak RSS above the fixed part includes garbage not yet collected; the live heap after a full collection does not
  emit({ name: "simulate.sessions_1m.bytes_per_session", value: big.liveHeapBytesPerSession, unit: "bytes", config: { ...bcfg, rssAboveBasePerSession: big.bytesPerConcurrentSession, measure: "live heap after a full GC at the horizon / concurrent sessions" } });
  emit({ name: "simulate.sessions_1m.events_per_s", value: big.summary.eventsPerSec, unit: "interactions/s", config: bcfg });
  emit({ name: "simulate.sessions_1m.realtime_factor", value: big.summary.realTimeFactor, unit: "virtual/wall", config: bcfg });
}
