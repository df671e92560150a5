import { spawn } from "node:child_process";
import { getHeapStatistics } from "node:v8";
import { joinNatsSimulation, runResearch, runSimulation, writeRunOutputs, type NatsSimOptions, type SimulationResult } from "../../loadtest/index.ts";
import { InvalidArgumentError } from "../../protocols/index.ts";
import type { Command } from "../cli.ts";

/** Runs of this many sessions or more get an 8 GiB heap (Node's default limit here is ~4 GiB). */
const BIG_RUN_SESSIONS = 200_000;
const BIG_HEAP_MB = 8192;

/** Re-runs this command in a node with a larger heap; resolves to its exit code. */
function rerunWithBigHeap(): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = [...process.execArgv.filter((a) => !a.startsWith("--max-old-space-size")), `--max-old-space-size=${BIG_HEAP_MB}`, ...process.argv.slice(1)];
    const child = spawn(process.execPath, args, { stdio: "inherit" });
    // a signal to this process is meant for the run: pass it on (Ctrl-C on a terminal reaches both anyway)
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    process.on("SIGTERM", forward).on("SIGINT", forward);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGTERM", forward).off("SIGINT", forward);
      resolve(code ?? (signal !== null ? 1 : 0));
    });
  });
}

export const simulateCommand: Command = {
  name: "simulate",
  summary: "run synthetic viewers against the recommender in virtual time; prints a JSON summary line",
  usage: `fyp simulate [--sessions N] [--videos M] [--seed S] [--bots B] [--workers W] [--no-progress] [--out DIR]
       [--nats URL [--local-nodes K] [--run NAME]]
fyp simulate --join NAME --nats URL
  Embedded default: one process, in-memory transport, scratch LMDB state store, the synthetic world fitted on
  KuaiRand (no dataset needed). N simulated users request feeds, watch/skip/like/leave by the choice model and
  return for more sessions; new videos climb the viral ladder; --bots injects an engagement farm.
  Progress goes to stderr (a bar on a terminal, log lines otherwise); the summary is one JSON line on stdout.
  Same config + seed -> same summary (checksum); wall-time figures vary.
  --workers W (simulate.workers) splits the run over W worker threads, each a node of the recommender with its
  own node-level state and a share of the viewers, in lockstep on virtual time: what one node sends another
  during an epoch (simulate.epochMs of virtual time) arrives simulate.lagEpochs (default 1) epoch ends later,
  so a node may run that many epochs ahead of the slowest. Same config + seed + W -> same summary; not the
  one-node run's (it simulates a W-node cluster). --out works with W > 1: every node's events are merged
  in virtual-time order into one set of research outputs.
  --nats URL runs the W nodes as processes that meet over NATS instead of threads: the same run (same
  checksum), spread over as many machines as you have. This command starts K of them here (--local-nodes,
  default W) and waits for the others, which join with \`fyp simulate --join NAME --nats URL\` on other
  machines (--run NAME names the run; a random name is logged otherwise). Nodes started here inherit this
  process's heap limit; a joining process runs the node it is given, logs to stderr and prints nothing.
  --out DIR also records the research metrics over time (config section research: window width, per-cohort
  rows, filter-bubble sample) and writes DIR/summary.json, timeseries.csv, system.csv, phases.csv,
  cascades.csv, homogenization.csv and report.html (self-contained, offline).
  The summary line carries realTimeFactor (virtual / wall time), eventsPerSec (simulated interactions, i.e.
  served items watched or skipped, per wall second), messagesPerSec (actor messages per wall second),
  peakConcurrentSessions, maxRssBytes (peak RSS of the process; with --nats, the driver's plus each node
  process's, listed in nodeMaxRssBytes) and bytesPerSession (peak RSS / peak concurrent sessions: an upper
  bound, the process's fixed part included). Runs of 200,000 sessions or more
  re-run themselves in a node with an 8 GiB heap (--max-old-space-size=8192) unless it already has one.`,
  options: {
    sessions: { type: "string" },
    videos: { type: "string" },
    seed: { type: "string" },
    bots: { type: "string" },
    workers: { type: "string" },
    "no-progress": { type: "boolean" },
    out: { type: "string" },
    nats: { type: "string" },
    "local-nodes": { type: "string" },
    run: { type: "string" },
    join: { type: "string" },
  },
  async run(ctx) {
    const v = ctx.values;
    if (typeof v.join === "string") {
      if (typeof v.nats !== "string") throw new Error("fyp simulate --join: --nats nats://HOST:PORT is required");
      const runFlags = ["sessions", "videos", "seed", "bots", "workers", "out", "local-nodes", "run"].filter((f) => v[f] !== undefined);
      if (runFlags.length > 0) throw new Error(`fyp simulate --join: the run's settings come from its driver; drop --${runFlags.join(", --")}`);
      return joinNatsSimulation({ servers: v.nats, run: v.join, log: ctx.logger(ctx.config()) });
    }
    const overrides: Record<string, unknown> = {};
    if (v.sessions !== undefined) overrides["simulate.sessions"] = v.sessions;
    if (v.videos !== undefined) overrides["simulate.videos"] = v.videos;
    if (v.seed !== undefined) overrides["simulate.seed"] = v.seed;
    if (v.bots !== undefined) overrides["simulate.farm.bots"] = v.bots;
    if (v.workers !== undefined) overrides["simulate.workers"] = v.workers;
    if (v["no-progress"]) overrides["simulate.progress"] = false;
    const config = ctx.config(overrides);
    if (config.simulate.sessions >= BIG_RUN_SESSIONS && getHeapStatistics().heap_size_limit < BIG_HEAP_MB * 0.9 * 2 ** 20) return rerunWithBigHeap();
    const log = ctx.logger(config);
    let nats: NatsSimOptions | undefined;
    if (typeof v.nats === "string") {
      nats = { servers: v.nats };
      if (typeof v.run === "string") nats.run = v.run;
      if (typeof v["local-nodes"] === "string") {
        if (!/^\d+$/.test(v["local-nodes"])) throw new InvalidArgumentError("local-nodes", "must be a non-negative integer", v["local-nodes"]);
        nats.localNodes = Number(v["local-nodes"]);
      }
    } else if (v.run !== undefined || v["local-nodes"] !== undefined) throw new Error("fyp simulate: --run and --local-nodes go with --nats URL");
    const hooks = nats !== undefined ? { nats } : {};
    const memory = (r: SimulationResult) => {
      // over NATS the nodes are processes of their own: their peaks count too (an upper bound: the peaks may
      // not coincide)
      const maxRssBytes = process.resourceUsage().maxRSS * 1024 + (r.nodes?.maxRssBytes ?? []).reduce((a, b) => a + b, 0);
      return { maxRssBytes, bytesPerSession: Math.round(maxRssBytes / Math.max(1, r.summary.peakConcurrentSessions)), ...(r.nodes?.maxRssBytes !== undefined ? { nodeMaxRssBytes: r.nodes.maxRssBytes } : {}) };
    };
    if (typeof v.out === "string") {
      const run = await runResearch(config, log, hooks);
      const files = writeRunOutputs(v.out, run, config);
      ctx.out(JSON.stringify({ ...run.result.summary, ...memory(run.result), files }));
      return run.result.summary.failedMessages === 0 ? 0 : 1;
    }
    const result = await runSimulation(config, log, hooks);
    ctx.out(JSON.stringify({ ...result.summary, ...memory(result) }));
    return result.summary.failedMessages === 0 ? 0 : 1;
  },
};
