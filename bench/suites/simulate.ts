import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { round, type Emit } from "../row.ts";

/**
 * `fyp simulate` at scale, `small` profile, each run in its own process (bench/simulate-child.ts):
 *  - throughput: 20,000 sessions to the end -> simulate.events_per_s, simulate.realtime_factor,
 *    simulate.interactions_per_s (watched items / wall second);
 *  - 1,000,000 sessions up to a virtual horizon (FYP_BENCH_SIM_UNTIL_MS, default 120 s of the 600 s arrival
 *    window) -> simulate.sessions_1m.rss_bytes (peak RSS, the million arrival timers and every arrived
 *    session's actors included) and the wall time to get there. Set FYP_BENCH_SIM_UNTIL_MS=0 to run it out.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const VIDEOS = 20_000;

interface ChildOut {
  summary: { items: number; messages: number; eventsPerSec: number; realTimeFactor: number; virtualMs: number; wallMs: number; peakActiveActors: number; sessions: number };
  maxRssBytes: number;
  arrivedUsers: number;
  bytesPerSession: number;
  bytesPerArrivedSession: number;
  wallMs: number;
}

function child(sessions: number, untilMs: number): Promise<ChildOut> {
  return new Promise((resolve, reject) => {
    // no --expose-gc: runSimulation then skips its forced GC at every new peak of active actors, which costs
    // ~70% of the wall time of a ramping million-session run (measured: 2.7k vs 8.7k messages/s)
    const p = spawn(process.execPath, ["--max-old-space-size=8192", "--import", "tsx", "bench/simulate-child.ts", String(sessions), String(VIDEOS), String(untilMs), "small"], {
      cwd: ROOT, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "", err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as ChildOut) : reject(new Error(`simulate child exited ${code}: ${err.slice(-3000)}`))));
  });
}

export async function run(emit: Emit): Promise<void> {
  const small = await child(20_000, 0);
  const cfg = { sessions: 20_000, videos: VIDEOS, profile: "small", virtualMs: small.summary.virtualMs, wallMs: small.wallMs };
  emit({ name: "simulate.events_per_s", value: small.summary.eventsPerSec, unit: "messages/s", config: cfg });
  emit({ name: "simulate.interactions_per_s", value: round(small.summary.items / (small.summary.wallMs / 1000), 1), unit: "items/s", config: cfg });
  emit({ name: "simulate.realtime_factor", value: small.summary.realTimeFactor, unit: "virtual/wall", config: cfg });
  emit({ name: "simulate.sessions_20k.rss_bytes", value: small.maxRssBytes, unit: "bytes", config: { ...cfg, bytesPerSession: small.bytesPerSession } });

  const untilMs = Number(process.env.FYP_BENCH_SIM_UNTIL_MS ?? 120_000);
  const big = await child(1_000_000, untilMs);
  const bcfg = { sessions: 1_000_000, videos: VIDEOS, profile: "small", untilMs, arrivedUsers: big.arrivedUsers, wallMs: big.wallMs, peakActiveActors: big.summary.peakActiveActors, items: big.summary.items };
  emit({ name: "simulate.sessions_1m.rss_bytes", value: big.maxRssBytes, unit: "bytes", config: { ...bcfg, bytesPerArrivedSession: big.bytesPerArrivedSession } });
  emit({ name: "simulate.sessions_1m.events_per_s", value: big.summary.eventsPerSec, unit: "messages/s", config: bcfg });
  emit({ name: "simulate.sessions_1m.realtime_factor", value: big.summary.realTimeFactor, unit: "virtual/wall", config: bcfg });
}
