import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../configs/index.ts";
import { toCsv } from "./csv.ts";
import { charts, details, htmlPage, note, table } from "./html-page.ts";
import type { ResearchRun } from "./run-research.ts";
import type { TimeRow } from "./research-recorder.ts";
import { barChart, lineChart, type LineSeries } from "./svg-chart.ts";

const MIN = 60_000;

/** The research summary a run writes as summary.json. */
export function runSummaryJson(run: ResearchRun, config: Readonly<Config>): Record<string, unknown> {
  const { result, research } = run;
  return {
    summary: result.summary,
    overall: research.overall,
    ladder: research.ladder,
    viral: { reached: result.viral.reached, retired: result.viral.retired, graduated: result.viral.graduated, meanTimeToStageMs: result.viral.meanTimeToStageMs },
    integrity: { flaggedSessions: result.integrity.flaggedSessions, flaggedVideos: result.integrity.flaggedVideos.length, farms: result.integrity.farms.length },
    windows: research.series.filter((r) => r.cohort === "all").length,
    phases: research.phases.length,
    sampleEveryMs: research.sampleEveryMs,
    phaseItems: research.phaseItems,
    config,
  };
}

/**
 * Writes one run's outputs into `dir`: summary.json, timeseries.csv (global + per cohort), system.csv
 * (stabilizer, ladder, integrity per window), phases.csv (fixed-volume windows), cascades.csv (one row per
 * uploaded video), homogenization.csv (the coordinator's own samples) and report.html. Returns the paths.
 */
export function writeRunOutputs(dir: string, run: ResearchRun, config: Readonly<Config>, title = "fyp simulate"): string[] {
  mkdirSync(dir, { recursive: true });
  const { result, research } = run;
  const files: [string, string][] = [
    ["summary.json", JSON.stringify(runSummaryJson(run, config), null, 2) + "\n"],
    ["timeseries.csv", toCsv(research.series.map((r) => ({ t_min: round(r.t / MIN, 3), ...r })))],
    ["system.csv", toCsv(research.system.map((r) => ({ t_min: round(r.t / MIN, 3), ...r })))],
    ["phases.csv", toCsv(research.phases.map((r) => ({ t_min: round(r.t / MIN, 3), ...r })))],
    ["cascades.csv", toCsv(research.cascades.map((c) => ({ videoId: c.videoId, category: c.category, uploadedAt: c.uploadedAt, maxStage: c.reachedAt.length - 1, retiredAt: c.retiredAt, reachedAt: c.reachedAt })))],
    ["homogenization.csv", toCsv(result.homogenization.map((s) => ({ t_min: round(s.at / MIN, 3), ...s })))],
    ["report.html", runReportHtml(run, config, title)],
  ];
  return files.map(([name, text]) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  });
}

function round(x: number, d = 2): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** A metric over time; rate-like metrics skip windows too thin to say anything (under 2% of the busiest window). */
function line(rows: readonly TimeRow[], key: keyof TimeRow): [number, number][] {
  const min = Math.max(1, 0.02 * Math.max(0, ...rows.map((r) => r.items)));
  const always = key === "filterBubble" || key === "homogeneity" || key === "items" || key === "activeUsers";
  return rows.filter((r) => always || r.items >= min).map((r) => [r.t / MIN, r[key] as number]);
}

/** The offline HTML report of one run. */
export function runReportHtml(run: ResearchRun, config: Readonly<Config>, title: string): string {
  const { result, research } = run;
  const s = result.summary;
  const all = research.series.filter((r) => r.cohort === "all");
  const cohorts = research.cohorts.filter((c) => c !== "all");
  const byCohort = (key: keyof TimeRow): LineSeries[] => cohorts.map((c) => ({ name: c, points: line(research.series.filter((r) => r.cohort === c), key) }));
  const rates: [number, number] = [0, 1];
  const sections: { heading: string; html: string }[] = [];

  sections.push({
    heading: "Summary",
    html:
      table(
        ["figure", "value"],
        [
          ["seed", s.seed], ["users · videos", `${s.users} · ${s.videos}`], ["sessions · items", `${s.sessions} · ${s.items}`],
          ["watch time per session (s)", s.watchTimePerSessionS], ["items per session", s.itemsPerSession],
          ["completion · skip · like", `${s.completionRate} · ${s.skipRate} · ${s.likeRate}`],
          ["exposure Gini · coverage (whole run)", `${s.gini} · ${s.coverage}`],
          ["category entropy · intra-list diversity", `${research.overall.entropy} · ${research.overall.ild}`],
          ["filter-bubble index · user homogeneity (end)", `${research.overall.filterBubble} · ${research.overall.homogeneity}`],
          ["novelty rate (end)", s.noveltyRate], ["uploads · reached per stage", `${s.uploads} · [${s.promotedPerStage.join(", ")}]`],
          ["retired · graduated", `${s.retired} · ${s.graduated}`],
          ["flagged sessions · videos · farms", `${s.flaggedSessions} · ${s.flaggedVideos} · ${s.farmsDetected}`],
          ["virtual time (min)", round(s.virtualMs / MIN, 1)], ["wall time (s)", round(s.wallMs / 1000, 1)],
          ["real-time factor · events/s", `${s.realTimeFactor} · ${s.eventsPerSec}`], ["checksum", s.checksum],
        ],
      ) +
      note(
        `Windows of ${round(research.sampleEveryMs / MIN, 2)} virtual minutes; phases of ${research.phaseItems} impressions. Rates are per watched item. ` +
          "Exposure Gini and coverage are over the whole catalog (unshown videos count as zeros). The filter-bubble index is the mean Jensen–Shannon divergence " +
          "between a tracked user's true category taste and the (recency-weighted) categories they were shown; user homogeneity is the mean pairwise Jaccard " +
          "similarity of tracked users' last 30 items (Chaney, Stewart & Engelhardt 2018).",
      ),
  });

  sections.push({
    heading: "Engagement over time",
    html: charts([
      lineChart({ id: "watch-per-item", title: "Watch time per item", xLabel: "virtual minutes", yLabel: "seconds", series: [{ name: "all", points: line(all, "watchPerItemS") }] }),
      lineChart({ id: "rates", title: "Completion, skip and like rates", xLabel: "virtual minutes", yLabel: "share of items", yDomain: rates, series: [
        { name: "completion", points: line(all, "completionRate") }, { name: "skip", points: line(all, "skipRate") }, { name: "like", points: line(all, "likeRate") },
      ] }),
      lineChart({ id: "session-length", title: "Session length (sessions ending in the window)", xLabel: "virtual minutes", yLabel: "items per session", series: [{ name: "all", points: all.filter((r) => r.sessions > 0).map((r) => [r.t / MIN, r.sessionItems]) }] }),
      lineChart({ id: "activity", title: "Activity", xLabel: "virtual minutes", yLabel: "per window", series: [
        { name: "items", points: all.map((r) => [r.t / MIN, r.items]) }, { name: "active users", points: all.map((r) => [r.t / MIN, r.activeUsers]) },
      ] }),
    ]),
  });

  sections.push({
    heading: "Diversity and feedback loops",
    html: charts([
      lineChart({ id: "diversity", title: "Exposure Gini, coverage, entropy, intra-list diversity", xLabel: "virtual minutes", yLabel: "value", yDomain: rates, series: [
        { name: "Gini", points: line(all, "gini") }, { name: "coverage", points: line(all, "coverage") }, { name: "entropy", points: line(all, "entropy") }, { name: "ILD", points: line(all, "ild") },
      ] }),
      lineChart({ id: "filter-bubble", title: "Filter-bubble index and user homogeneity", xLabel: "virtual minutes", yLabel: "value", yDomain: rates, series: [
        { name: "filter bubble (JS)", points: line(all, "filterBubble") }, { name: "homogeneity (Jaccard)", points: line(all, "homogeneity") },
      ] }),
      lineChart({ id: "phases", title: `Fixed-volume phases (${research.phaseItems} impressions each)`, xLabel: "phase", yLabel: "value", yDomain: rates, series: [
        { name: "Gini", points: research.phases.map((p) => [p.phase, p.gini]) }, { name: "Gini beyond chance", points: research.phases.map((p) => [p.phase, p.giniExcess]) },
        { name: "coverage", points: research.phases.map((p) => [p.phase, p.coverage]) },
        { name: "entropy", points: research.phases.map((p) => [p.phase, p.entropy]) }, { name: "filter bubble", points: research.phases.map((p) => [p.phase, p.filterBubble]) },
        { name: "homogeneity", points: research.phases.map((p) => [p.phase, p.homogeneity]) },
      ] }),
      lineChart({ id: "stabilizer", title: "Stabilizer: novelty rate and the monitor's Gini", xLabel: "virtual minutes", yLabel: "value", yDomain: rates, series: [
        { name: "novelty rate", points: result.homogenization.map((h) => [h.at / MIN, h.noveltyRate]) },
        { name: "monitor Gini (decayed window)", points: result.homogenization.map((h) => [h.at / MIN, h.gini]) },
        { name: "monitor Gini beyond chance (bounded by giniMax)", points: result.homogenization.map((h) => [h.at / MIN, h.giniExcess]) },
        { name: "exposure penalty", points: result.homogenization.map((h) => [h.at / MIN, h.exposurePenalty]) },
        { name: "category share cap", points: result.homogenization.map((h) => [h.at / MIN, h.categoryShareCap]) },
      ] }),
    ]),
  });

  if (cohorts.length > 0) {
    sections.push({
      heading: "Per cohort",
      html: charts([
        lineChart({ id: "cohort-watch", title: "Watch time per item by cohort", xLabel: "virtual minutes", yLabel: "seconds", series: byCohort("watchPerItemS") }),
        lineChart({ id: "cohort-gini", title: "Exposure Gini by cohort", xLabel: "virtual minutes", yLabel: "Gini", yDomain: rates, series: byCohort("gini") }),
        lineChart({ id: "cohort-bubble", title: "Filter-bubble index by cohort", xLabel: "virtual minutes", yLabel: "JS divergence", yDomain: rates, series: byCohort("filterBubble") }),
        lineChart({ id: "cohort-skip", title: "Skip rate by cohort", xLabel: "virtual minutes", yLabel: "share of items", yDomain: rates, series: byCohort("skipRate") }),
      ]),
    });
  }

  const stages = research.ladder.map((l) => `stage ${l.stage}`);
  const cumulative = (stage: number): [number, number][] => {
    let c = 0;
    return research.system.map((r) => [r.t / MIN, (c += r.reached[stage] ?? 0)]);
  };
  sections.push({
    heading: "Viral cascades",
    html:
      charts([
        barChart({ id: "ladder-reached", title: "Uploads reaching each ladder stage", yLabel: "videos", categories: stages, series: [{ name: "videos", values: research.ladder.map((l) => l.videos) }] }),
        barChart({ id: "ladder-time", title: "Time from upload to each stage", yLabel: "virtual minutes", categories: stages.slice(1), series: [
          { name: "mean", values: research.ladder.slice(1).map((l) => l.meanMin ?? NaN) }, { name: "median", values: research.ladder.slice(1).map((l) => l.medianMin ?? NaN) },
        ] }),
        lineChart({ id: "promotions", title: "Cumulative videos per stage", xLabel: "virtual minutes", yLabel: "videos", series: research.ladder.map((l) => ({ name: `stage ${l.stage}`, points: cumulative(l.stage) })) }),
      ]) +
      table(["stage", "videos", "mean min from upload", "median min"], research.ladder.map((l) => [l.stage, l.videos, l.meanMin, l.medianMin])),
  });

  sections.push({
    heading: "Integrity",
    html: charts([
      lineChart({ id: "integrity", title: "Flags (cumulative) and integrity signals", xLabel: "virtual minutes", yLabel: "count", series: [
        { name: "flagged sessions", points: research.system.map((r) => [r.t / MIN, r.flaggedSessions]) },
        { name: "flagged videos", points: research.system.map((r) => [r.t / MIN, r.flaggedVideos]) },
        { name: "signals in window", points: research.system.map((r) => [r.t / MIN, r.integritySignals]) },
      ] }),
      lineChart({ id: "farm-impressions", title: "Farm-target impressions to real viewers", xLabel: "virtual minutes", yLabel: "per window", series: [{ name: "impressions", points: research.system.map((r) => [r.t / MIN, r.farmImpressions]) }] }),
    ]),
  });

  sections.push({ heading: "Configuration", html: details("config (JSON)", JSON.stringify(config, null, 2)) });
  return htmlPage(`${title} — seed ${s.seed}, ${s.users} users, ${s.videos} videos`, sections);
}
