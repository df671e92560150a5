import { readFileSync } from "node:fs";
import { REPLICATION_METRICS, comparisonMarkdown, flattenOverrides, parseExperiment, replicationExperiment, runExperiment, writeExperimentOutputs, writeRunOutputs, type ExperimentSpec } from "../../loadtest/index.ts";
import type { Command } from "../cli.ts";

function positiveInt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer (got ${String(v)})`);
  return n;
}

export const experimentCommand: Command = {
  name: "experiment",
  summary: "A/B arms as config overrides on shared seeds; paired comparison with confidence intervals",
  usage: `fyp experiment --arms FILE [--replicates R] [--sessions N] [--videos M] [--seed S] [--parallel P] [--out DIR] [--keep-runs]
fyp experiment replication [--replicates R] [--sessions N] [--parallel P] [--out DIR]
  Runs every arm on the same seeds (replicate i: simulate.seed = synthetic.seed = seed + i), records the research
  metrics of each run, and compares each arm with the baseline arm per metric: arm means with t intervals, the
  paired mean difference with its t and bootstrap intervals and p-value (config section research: replicates,
  confidence, bootstrapResamples, lateShare, phaseItems).
  FILE (JSON): { "name": "...", "base": {overrides}, "baseline": "armA", "replicates": 5,
                 "arms": [ { "name": "armA", "overrides": { "exploration.noveltyRate": 0 } }, { "name": "armB", "overrides": {} } ] }
  Overrides are config paths, dotted ("policy.maxCategoryRun": 1) or nested ({ "homogenization": { "enabled": false } }).
  "replication" is the built-in exploitation vs exploration + diversity + stabilizer experiment (README).
  --parallel P (research.parallelRuns; default 0: one per core) runs P of the runs at once, each in its own
  worker thread; each run is still one node on its own, so the results are the same as one at a time.
  Prints the comparison as a Markdown table on stdout; --out DIR writes experiment.json, comparison.csv, comparison.md,
  replicates.csv, phases.csv and report.html (offline); --keep-runs also writes each run's own report under DIR/runs/.`,
  options: {
    arms: { type: "string" },
    replicates: { type: "string" },
    sessions: { type: "string" },
    videos: { type: "string" },
    seed: { type: "string" },
    parallel: { type: "string" },
    out: { type: "string" },
    "keep-runs": { type: "boolean" },
    "no-progress": { type: "boolean" },
  },
  async run(ctx) {
    const v = ctx.values;
    let spec: ExperimentSpec;
    const preset = ctx.positionals[0];
    if (preset === "replication") spec = replicationExperiment();
    else if (preset !== undefined) throw new Error(`fyp experiment: unknown preset "${preset}" (known: replication)`);
    else if (typeof v.arms === "string") spec = parseExperiment(JSON.parse(readFileSync(v.arms, "utf8")) as unknown, v.arms);
    else throw new Error("fyp experiment: --arms FILE or the preset `replication` is required");
    const replicates = positiveInt(v.replicates, "replicates");
    if (replicates !== undefined) spec = { ...spec, replicates };
    const cli: Record<string, unknown> = {};
    if (v.sessions !== undefined) cli["simulate.sessions"] = v.sessions;
    if (v.videos !== undefined) cli["simulate.videos"] = v.videos;
    if (v.seed !== undefined) cli["simulate.seed"] = v.seed;
    if (v.parallel !== undefined) cli["research.parallelRuns"] = v.parallel;
    if (v["no-progress"]) cli["simulate.progress"] = false;
    const log = ctx.logger(ctx.config(cli));
    const out = typeof v.out === "string" ? v.out : undefined;
    // flags beat the experiment file's base, which beats the config; each arm's overrides beat both (except the seeds)
    const result = await runExperiment(spec, (o) => ctx.config({ ...o, ...cli, ...pick(o, ["simulate.seed", "synthetic.seed", "simulate.progress"]) }), log, {
      progress: v["no-progress"] ? false : undefined,
      onRun: out !== undefined && v["keep-runs"] ? (arm, seed, run, config) => void writeRunOutputs(`${out}/runs/${arm}-seed${seed}`, run, config, `${spec.name}: ${arm}`) : undefined,
    });
    const metrics = preset === "replication" ? REPLICATION_METRICS : undefined;
    ctx.out(`## ${result.name}\n`);
    ctx.out(comparisonMarkdown(result, metrics));
    if (out !== undefined) {
      const command = ["fyp experiment", ...process.argv.slice(3)].join(" ");
      const files = writeExperimentOutputs(out, result, { command, phaseItems: ctx.config({ ...flattenOverrides(spec.base), ...cli }).research.phaseItems });
      ctx.out(`\nwrote ${files.join(", ")}`);
    }
    return 0;
  },
};

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in o) out[k] = o[k];
  return out;
}
