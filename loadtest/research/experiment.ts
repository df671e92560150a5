import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../../configs/index.ts";
import { createProgress } from "../progress.ts";
import type { PhaseRow } from "./research-recorder.ts";
import { runResearchPool } from "./run-pool.ts";
import { runResearch, type ResearchRun } from "./run-research.ts";
import { estimate, pairedDiff, type Estimate, type PairedDiff } from "./stats.ts";

/** One arm: a name and config overrides (dotted paths, or nested objects under a top-level section). */
export interface ArmSpec {
  name: string;
  overrides: Record<string, unknown>;
  description?: string;
}

/** An experiment file: arms plus optional shared overrides, replicates and the baseline arm. */
export interface ExperimentSpec {
  name: string;
  /** Applied to every arm before its own overrides. */
  base: Record<string, unknown>;
  arms: ArmSpec[];
  /** Arm the others are compared to (default: the first). */
  baseline: string;
  replicates?: number;
}

/** The outcome figures of one run that arms are compared on (see METRICS). */
export type RunMetrics = Record<MetricName, number>;

export const METRICS = [
  { key: "gini", label: "exposure Gini (run)", better: "lower" },
  { key: "coverage", label: "catalog coverage (run)", better: "higher" },
  { key: "lateGini", label: "Gini, late phases", better: "lower" },
  { key: "lateGiniExcess", label: "Gini beyond chance, late", better: "lower" },
  { key: "lateCoverage", label: "coverage, late phases", better: "higher" },
  { key: "lateEntropy", label: "category entropy, late", better: "higher" },
  { key: "lateIld", label: "intra-list diversity, late", better: "higher" },
  { key: "lateFilterBubble", label: "filter-bubble index, late", better: "lower" },
  { key: "lateHomogeneity", label: "user homogeneity, late", better: "lower" },
  { key: "driftGini", label: "Gini drift (late − early)", better: "lower" },
  { key: "driftGiniExcess", label: "Gini-beyond-chance drift", better: "lower" },
  { key: "driftCoverage", label: "coverage drift", better: "higher" },
  { key: "driftFilterBubble", label: "filter-bubble drift", better: "lower" },
  { key: "driftHomogeneity", label: "homogeneity drift", better: "lower" },
  { key: "watchTimePerSessionS", label: "watch time / session (s)", better: "higher" },
  { key: "itemsPerSession", label: "items / session", better: "higher" },
  { key: "watchPerItemS", label: "watch time / item (s)", better: "higher" },
  { key: "completionRate", label: "completion rate", better: "higher" },
  { key: "skipRate", label: "skip rate", better: "lower" },
  { key: "graduatedOrPromoted", label: "uploads promoted past stage 0", better: "higher" },
] as const;

export type MetricName = (typeof METRICS)[number]["key"];

export interface ArmResult {
  name: string;
  description?: string;
  overrides: Record<string, unknown>;
  /** Per replicate, in seed order. */
  seeds: number[];
  runs: RunMetrics[];
  /** Per replicate: the fixed-volume phases (for trajectories) and the global windows. */
  phases: PhaseRow[][];
  checksums: string[];
  estimates: Record<MetricName, Estimate>;
}

export interface Comparison {
  arm: string;
  baseline: string;
  metric: MetricName;
  diff: PairedDiff;
  /** The arms' own intervals do not overlap. */
  separated: boolean;
}

export interface ExperimentResult {
  name: string;
  baseline: string;
  replicates: number;
  confidence: number;
  seeds: number[];
  arms: ArmResult[];
  comparisons: Comparison[];
  wallMs: number;
}

/** Parses and checks an experiment file (JSON): `{ name?, base?, baseline?, replicates?, arms: [{ name, overrides }] | { name: overrides } }`. */
export function parseExperiment(json: unknown, source = "experiment"): ExperimentSpec {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) return fail("must be a JSON object");
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!["name", "base", "arms", "baseline", "replicates", "description"].includes(k)) fail(`unknown key "${k}"`);
  const obj = (v: unknown, what: string): Record<string, unknown> => {
    if (v === undefined) return {};
    if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(`${what} must be an object of config overrides`);
    return v as Record<string, unknown>;
  };
  let arms: ArmSpec[];
  if (Array.isArray(o.arms)) {
    arms = o.arms.map((a, i) => {
      if (typeof a !== "object" || a === null) return fail(`arms[${i}] must be an object`);
      const r = a as Record<string, unknown>;
      if (typeof r.name !== "string" || r.name === "") return fail(`arms[${i}].name must be a non-empty string`);
      return { name: r.name, overrides: obj(r.overrides, `arms[${i}].overrides`), description: typeof r.description === "string" ? r.description : undefined };
    });
  } else {
    arms = Object.entries(obj(o.arms, "arms")).map(([name, v]) => ({ name, overrides: obj(v, `arms.${name}`) }));
  }
  if (arms.length < 2) fail("needs at least two arms");
  const names = new Set(arms.map((a) => a.name));
  if (names.size !== arms.length) fail("arm names must be unique");
  const baseline = typeof o.baseline === "string" ? o.baseline : arms[0]!.name;
  if (!names.has(baseline)) fail(`baseline "${baseline}" is not an arm (${[...names].join(", ")})`);
  if (o.replicates !== undefined && (!Number.isInteger(o.replicates) || (o.replicates as number) < 1)) fail("replicates must be a positive integer");
  return {
    name: typeof o.name === "string" ? o.name : "experiment",
    base: obj(o.base, "base"),
    arms,
    baseline,
    replicates: o.replicates as number | undefined,
  };
}

function meanOf(phases: readonly PhaseRow[], key: "gini" | "giniExcess" | "coverage" | "entropy" | "ild" | "filterBubble" | "homogeneity"): number {
  return phases.length === 0 ? NaN : phases.reduce((a, p) => a + p[key], 0) / phases.length;
}

/** The comparison figures of one run; "early"/"late" = the first/last `lateShare` of its fixed-volume phases. */
export function runMetrics(run: ResearchRun, lateShare: number): RunMetrics {
  const s = run.result.summary;
  const ph = run.research.phases;
  const k = Math.max(1, Math.round(ph.length * lateShare));
  const early = ph.slice(0, k);
  const late = ph.slice(Math.max(0, ph.length - k));
  return {
    gini: s.gini,
    coverage: s.coverage,
    lateGini: meanOf(late, "gini"),
    lateGiniExcess: meanOf(late, "giniExcess"),
    lateCoverage: meanOf(late, "coverage"),
    lateEntropy: meanOf(late, "entropy"),
    lateIld: meanOf(late, "ild"),
    lateFilterBubble: meanOf(late, "filterBubble"),
    lateHomogeneity: meanOf(late, "homogeneity"),
    driftGini: meanOf(late, "gini") - meanOf(early, "gini"),
    driftGiniExcess: meanOf(late, "giniExcess") - meanOf(early, "giniExcess"),
    driftCoverage: meanOf(late, "coverage") - meanOf(early, "coverage"),
    driftFilterBubble: meanOf(late, "filterBubble") - meanOf(early, "filterBubble"),
    driftHomogeneity: meanOf(late, "homogeneity") - meanOf(early, "homogeneity"),
    watchTimePerSessionS: s.watchTimePerSessionS,
    itemsPerSession: s.itemsPerSession,
    watchPerItemS: run.research.overall.watchPerItemS,
    completionRate: s.completionRate,
    skipRate: s.skipRate,
    graduatedOrPromoted: (s.promotedPerStage[1] ?? 0),
  };
}

/** Nested override objects to dotted leaf paths (config leaves are never plain objects), so layers merge per field. */
export function flattenOverrides(o: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const path = prefix === "" ? k : `${prefix}.${k}`;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) Object.assign(out, flattenOverrides(v as Record<string, unknown>, path));
    else out[path] = v;
  }
  return out;
}

/** The config of one (arm, replicate): base <- arm overrides <- seeds (world and run) of the replicate. */
export type ConfigFor = (overrides: Record<string, unknown>) => Readonly<Config>;

/**
 * Runs every arm on the same seeds (replicate r: simulate.seed = synthetic.seed = seed + r), so arm
 * differences are paired by seed; compares each arm with the baseline per metric.
 */
export async function runExperiment(
  spec: ExperimentSpec,
  configFor: ConfigFor,
  log: Logger,
  opts: { onRun?: (arm: string, seed: number, run: ResearchRun, config: Readonly<Config>) => void; progress?: boolean } = {},
): Promise<ExperimentResult> {
  const probe = configFor(flattenOverrides(spec.base));
  const research = probe.research;
  const replicates = spec.replicates ?? research.replicates;
  const seed0 = probe.simulate.seed;
  const seeds = Array.from({ length: replicates }, (_, r) => seed0 + r);
  const t0 = performance.now();
  const progress = createProgress({ label: `experiment ${spec.name}`, total: replicates * spec.arms.length, log, everyMs: probe.simulate.progressEveryMs, enabled: opts.progress ?? probe.simulate.progress });
  const arms: ArmResult[] = spec.arms.map((a) => ({ name: a.name, description: a.description, overrides: a.overrides, seeds, runs: [], phases: [], checksums: [], estimates: {} as Record<MetricName, Estimate> }));
  // replicate-major order: a stopped experiment still holds complete pairs
  const jobs = seeds.flatMap((seed) =>
    spec.arms.map((arm, i) => ({
      i, seed, arm: arm.name,
      config: configFor({ ...flattenOverrides(spec.base), ...flattenOverrides(arm.overrides), "simulate.seed": seed, "synthetic.seed": seed, "simulate.progress": false }),
    })),
  );
  const record = (k: number, run: ResearchRun): void => {
    const { i, seed, arm, config } = jobs[k]!;
    const a = arms[i]!;
    a.runs.push(runMetrics(run, config.research.lateShare));
    a.phases.push(run.research.phases);
    a.checksums.push(run.result.summary.checksum);
    opts.onRun?.(arm, seed, run, config);
    log.info({ arm, seed, checksum: run.result.summary.checksum, wallMs: run.result.summary.wallMs }, "experiment run done");
  };
  let done = 0;
  // runs at once (research.parallelRuns; 0: one per core), each on its own: the same outcome either way
  const parallel = Math.min(jobs.length, research.parallelRuns === 0 ? availableParallelism() : research.parallelRuns);
  if (parallel > 1) {
    await runResearchPool(jobs.map((j) => ({ config: j.config, bindings: { arm: j.arm, seed: j.seed } })), parallel, log, record, (k) =>
      progress.update(++done, { arm: jobs[k]!.arm, seed: jobs[k]!.seed }),
    );
  } else {
    for (let k = 0; k < jobs.length; k++) {
      const { arm, seed, config } = jobs[k]!;
      record(k, await runResearch(config, log.child({ arm, seed })));
      progress.update(++done, { arm, seed });
    }
  }
  progress.stop();
  const conf = research.confidence;
  for (const a of arms) {
    for (const m of METRICS) a.estimates[m.key] = estimate(a.runs.map((r) => r[m.key]), conf);
  }
  const base = arms.find((a) => a.name === spec.baseline)!;
  const comparisons: Comparison[] = [];
  for (const a of arms) {
    if (a === base) continue;
    for (const m of METRICS) {
      const diff = pairedDiff(base.runs.map((r) => r[m.key]), a.runs.map((r) => r[m.key]), conf, research.bootstrapResamples, seed0);
      const ea = a.estimates[m.key], eb = base.estimates[m.key];
      comparisons.push({ arm: a.name, baseline: base.name, metric: m.key, diff, separated: ea.low > eb.high || ea.high < eb.low });
    }
  }
  return { name: spec.name, baseline: spec.baseline, replicates, confidence: conf, seeds, arms, comparisons, wallMs: Math.round(performance.now() - t0) };
}
