import { runSimulation } from "../../loadtest/index.ts";
import type { Command } from "../cli.ts";

export const simulateCommand: Command = {
  name: "simulate",
  summary: "run N sessions and M videos as actors in virtual time; prints a JSON summary line",
  usage: `fyp simulate [--sessions N] [--videos M] [--seed S] [--watches W] [--no-progress]
  Runs on the embedded default (one process, in-memory transport, scratch LMDB state store).
  Progress goes to stderr (a bar on a terminal, log lines otherwise); the summary is one JSON line on stdout.
  Same config + seed -> same summary (checksum, counts); wall-time figures vary.`,
  options: {
    sessions: { type: "string" },
    videos: { type: "string" },
    seed: { type: "string" },
    watches: { type: "string" },
    "no-progress": { type: "boolean" },
  },
  async run(ctx) {
    const v = ctx.values;
    const overrides: Record<string, unknown> = {};
    if (v.sessions !== undefined) overrides["simulate.sessions"] = v.sessions;
    if (v.videos !== undefined) overrides["simulate.videos"] = v.videos;
    if (v.seed !== undefined) overrides["simulate.seed"] = v.seed;
    if (v.watches !== undefined) overrides["simulate.watchesPerSession"] = v.watches;
    if (v["no-progress"]) overrides["simulate.progress"] = false;
    const config = ctx.config(overrides);
    const log = ctx.logger(config);
    const summary = await runSimulation(config, log);
    ctx.out(JSON.stringify(summary));
    return summary.failedMessages === 0 ? 0 : 1;
  },
};
