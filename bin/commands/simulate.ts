import { runResearch, runSimulation, writeRunOutputs } from "../../loadtest/index.ts";
import type { Command } from "../cli.ts";

export const simulateCommand: Command = {
  name: "simulate",
  summary: "run synthetic viewers against the recommender in virtual time; prints a JSON summary line",
  usage: `fyp simulate [--sessions N] [--videos M] [--seed S] [--bots B] [--no-progress] [--out DIR]
  Embedded default: one process, in-memory transport, scratch LMDB state store, the synthetic world fitted on
  KuaiRand (no dataset needed). N simulated users request feeds, watch/skip/like/leave by the choice model and
  return for more sessions; new videos climb the viral ladder; --bots injects an engagement farm.
  Progress goes to stderr (a bar on a terminal, log lines otherwise); the summary is one JSON line on stdout.
  Same config + seed -> same summary (checksum); wall-time figures vary.
  --out DIR also records the research metrics over time (config section research: window width, per-cohort
  rows, filter-bubble sample) and writes DIR/summary.json, timeseries.csv, system.csv, phases.csv,
  cascades.csv, homogenization.csv and report.html (self-contained, offline).
  The summary line carries realTimeFactor (virtual / wall time), eventsPerSec (actor messages per wall second),
  maxRssBytes (peak RSS of the process) and bytesPerSession (peak RSS / simulated users).`,
  options: {
    sessions: { type: "string" },
    videos: { type: "string" },
    seed: { type: "string" },
    bots: { type: "string" },
    "no-progress": { type: "boolean" },
    out: { type: "string" },
  },
  async run(ctx) {
    const v = ctx.values;
    const overrides: Record<string, unknown> = {};
    if (v.sessions !== undefined) overrides["simulate.sessions"] = v.sessions;
    if (v.videos !== undefined) overrides["simulate.videos"] = v.videos;
    if (v.seed !== undefined) overrides["simulate.seed"] = v.seed;
    if (v.bots !== undefined) overrides["simulate.farm.bots"] = v.bots;
    if (v["no-progress"]) overrides["simulate.progress"] = false;
    const config = ctx.config(overrides);
    const log = ctx.logger(config);
    if (typeof v.out === "string") {
      const run = await runResearch(config, log);
      const files = writeRunOutputs(v.out, run, config);
      const maxRssBytes = process.resourceUsage().maxRSS * 1024;
      ctx.out(JSON.stringify({ ...run.result.summary, maxRssBytes, bytesPerSession: Math.round(maxRssBytes / Math.max(1, run.result.summary.users)), files }));
      return run.result.summary.failedMessages === 0 ? 0 : 1;
    }
    const { summary } = await runSimulation(config, log);
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    ctx.out(JSON.stringify({ ...summary, maxRssBytes, bytesPerSession: Math.round(maxRssBytes / Math.max(1, summary.users)) }));
    return summary.failedMessages === 0 ? 0 : 1;
  },
};
