import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toCsv } from "./csv.ts";
import { METRICS, type ExperimentResult, type MetricName } from "./experiment.ts";
import { charts, details, htmlPage, note, table } from "./html-page.ts";
import { estimate } from "./stats.ts";
import { barChart, lineChart, type LineSeries } from "./svg-chart.ts";

function f(x: number, d = 4): string {
  if (!Number.isFinite(x)) return "–";
  return String(Number(x.toFixed(d)));
}

function label(m: MetricName): string {
  return METRICS.find((x) => x.key === m)!.label;
}

/** The comparison as a Markdown table (what `fyp experiment` prints): arm means with intervals, paired differences. */
export function comparisonMarkdown(r: ExperimentResult, metrics: readonly MetricName[] = METRICS.map((m) => m.key)): string {
  const pct = Math.round(r.confidence * 100);
  const others = r.arms.filter((a) => a.name !== r.baseline);
  const base = r.arms.find((a) => a.name === r.baseline)!;
  const head = ["metric", `${base.name} (mean [${pct}% CI])`, ...others.flatMap((a) => [`${a.name} (mean [${pct}% CI])`, `${a.name} − ${base.name} (paired, t CI)`, "bootstrap CI", "p", "CIs separate"])];
  const rows = metrics.map((m) => {
    const e = base.estimates[m];
    const cells = [label(m), `${f(e.mean)} [${f(e.low)}, ${f(e.high)}]`];
    for (const a of others) {
      const ea = a.estimates[m];
      const c = r.comparisons.find((x) => x.arm === a.name && x.metric === m)!;
      cells.push(`${f(ea.mean)} [${f(ea.low)}, ${f(ea.high)}]`, `${f(c.diff.meanDiff)} [${f(c.diff.low)}, ${f(c.diff.high)}]`, `[${f(c.diff.bootLow)}, ${f(c.diff.bootHigh)}]`, f(c.diff.p, 4), c.separated ? "yes" : "no");
    }
    return cells;
  });
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(head),
    line(head.map((_, i) => (i === 0 ? "---" : "---:"))),
    ...rows.map(line),
    "",
    `${r.replicates} replicates per arm, seeds ${r.seeds.join(", ")} shared by the arms; intervals ${pct}% (t; bootstrap percentile of the paired mean difference).`,
  ].join("\n");
}

/** Mean trajectory of a phase metric across replicates, with a t band, per arm. */
function trajectories(r: ExperimentResult, key: "gini" | "giniExcess" | "coverage" | "entropy" | "ild" | "filterBubble" | "homogeneity" | "watchPerItemS" | "skipRate"): LineSeries[] {
  return r.arms.map((a) => {
    const len = Math.min(...a.phases.map((p) => p.length));
    const points: [number, number][] = [];
    const band: [number, number, number][] = [];
    for (let i = 0; i < len; i++) {
      const e = estimate(a.phases.map((p) => p[i]![key]), r.confidence);
      points.push([i, e.mean]);
      band.push([i, e.low, e.high]);
    }
    return { name: a.name, points, band };
  });
}

/** The offline HTML report of an experiment. */
export function experimentReportHtml(r: ExperimentResult, title: string, extra: { command?: string; phaseItems?: number } = {}): string {
  const pct = Math.round(r.confidence * 100);
  const bars = (keys: MetricName[], id: string, t: string) =>
    barChart({
      id, title: t, yLabel: "mean across replicates", categories: keys.map(label),
      series: r.arms.map((a) => ({ name: a.name, values: keys.map((k) => a.estimates[k].mean), errors: keys.map((k) => [a.estimates[k].low, a.estimates[k].high] as const) })),
      width: 660,
    });
  const others = r.arms.filter((a) => a.name !== r.baseline);
  const base = r.arms.find((a) => a.name === r.baseline)!;
  const tableRows = METRICS.map((m) => {
    const cells: (string | number | null)[] = [m.label, `${f(base.estimates[m.key].mean)} [${f(base.estimates[m.key].low)}, ${f(base.estimates[m.key].high)}]`];
    for (const a of others) {
      const c = r.comparisons.find((x) => x.arm === a.name && x.metric === m.key)!;
      const e = a.estimates[m.key];
      const sig = c.diff.low > 0 || c.diff.high < 0;
      const good = sig && ((m.better === "higher") === c.diff.meanDiff > 0);
      cells.push(
        `${f(e.mean)} [${f(e.low)}, ${f(e.high)}]`,
        sig ? `<span class="${good ? "good" : "bad"}">${f(c.diff.meanDiff)} [${f(c.diff.low)}, ${f(c.diff.high)}]</span>` : `${f(c.diff.meanDiff)} [${f(c.diff.low)}, ${f(c.diff.high)}]`,
        `[${f(c.diff.bootLow)}, ${f(c.diff.bootHigh)}]`,
        f(c.diff.p),
        c.separated ? "yes" : "no",
      );
    }
    return cells;
  });
  const head = ["metric", `${base.name} mean [${pct}% CI]`, ...others.flatMap((a) => [`${a.name} mean [${pct}% CI]`, `${a.name} − ${base.name}`, "bootstrap", "p", "CIs separate"])];
  const phaseNote = extra.phaseItems ? ` (${extra.phaseItems} impressions each)` : "";
  const sections = [
    {
      heading: "Comparison",
      html:
        table(head, tableRows) +
        note(
          `${r.replicates} replicates per arm; replicate i runs every arm on seed ${r.seeds[0]}+i (world and run), so differences are paired by seed. ` +
            `Intervals are ${pct}% t intervals; the bootstrap column is the percentile bootstrap of the mean paired difference. Coloured differences exclude 0 ` +
            `(green = better in the metric's direction). "Late"/"early" = mean over the last/first share of the run's fixed-volume phases; drift = late − early.`,
        ) +
        (extra.command ? note(`Command: ${extra.command}`) : ""),
    },
    {
      heading: "Arms at a glance",
      html: charts([
        bars(["gini", "lateGini", "lateGiniExcess", "coverage", "lateCoverage"], "arms-exposure", "Exposure concentration and coverage"),
        bars(["lateFilterBubble", "lateHomogeneity", "lateEntropy", "lateIld"], "arms-bubble", "Filter bubble, homogeneity, diversity (late)"),
        bars(["driftGini", "driftGiniExcess", "driftCoverage", "driftFilterBubble", "driftHomogeneity"], "arms-drift", "Drift from early to late phases"),
        bars(["completionRate", "skipRate"], "arms-engagement", "Completion and skip"),
        bars(["watchPerItemS", "itemsPerSession"], "arms-session", "Watch time per item (s) and items per session"),
      ]),
    },
    {
      heading: `Trajectories over fixed-volume phases${phaseNote}`,
      html: charts([
        lineChart({ id: "traj-gini", title: "Exposure Gini", xLabel: "phase", yLabel: "Gini", series: trajectories(r, "gini") }),
        lineChart({ id: "traj-gini-excess", title: "Exposure Gini beyond chance", xLabel: "phase", yLabel: "(G − G₀)/(1 − G₀)", series: trajectories(r, "giniExcess") }),
        lineChart({ id: "traj-coverage", title: "Catalog coverage", xLabel: "phase", yLabel: "share of catalog", series: trajectories(r, "coverage") }),
        lineChart({ id: "traj-bubble", title: "Filter-bubble index", xLabel: "phase", yLabel: "JS divergence", series: trajectories(r, "filterBubble") }),
        lineChart({ id: "traj-homogeneity", title: "User homogeneity (Jaccard)", xLabel: "phase", yLabel: "mean pairwise Jaccard", series: trajectories(r, "homogeneity") }),
        lineChart({ id: "traj-entropy", title: "Category entropy", xLabel: "phase", yLabel: "normalised entropy", series: trajectories(r, "entropy") }),
        lineChart({ id: "traj-watch", title: "Watch time per item", xLabel: "phase", yLabel: "seconds", series: trajectories(r, "watchPerItemS") }),
      ]) + note(`Bands: ${pct}% t intervals across replicates, over the phases every replicate of the arm reached.`),
    },
    {
      heading: "Arms",
      html: r.arms.map((a) => details(`${a.name}${a.description ? ` — ${a.description}` : ""} (checksums ${a.checksums.join(", ")})`, JSON.stringify(a.overrides, null, 2))).join("\n"),
    },
  ];
  return htmlPage(title, sections);
}

/** Writes experiment.json, comparison.csv, replicates.csv, phases.csv, comparison.md and report.html into `dir`. */
export function writeExperimentOutputs(dir: string, r: ExperimentResult, extra: { command?: string; phaseItems?: number } = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const compact = { ...r, arms: r.arms.map(({ phases: _p, ...a }) => a) };
  const files: [string, string][] = [
    ["experiment.json", JSON.stringify({ ...compact, command: extra.command }, null, 2) + "\n"],
    ["comparison.csv", toCsv(r.comparisons.map((c) => ({ arm: c.arm, baseline: c.baseline, metric: c.metric, ...c.diff, separated: c.separated })))],
    ["replicates.csv", toCsv(r.arms.flatMap((a) => a.runs.map((m, i) => ({ arm: a.name, seed: a.seeds[i], checksum: a.checksums[i], ...m }))))],
    ["phases.csv", toCsv(r.arms.flatMap((a) => a.phases.flatMap((ps, i) => ps.map((p) => ({ arm: a.name, seed: a.seeds[i], ...p })))))],
    ["comparison.md", comparisonMarkdown(r) + "\n"],
    ["report.html", experimentReportHtml(r, `fyp experiment — ${r.name}`, extra)],
  ];
  return files.map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}
