import t from "tap";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../../configs/index.ts";
import { silentLogger } from "../../cluster/index.ts";
import { runResearch, runSimulation, writeRunOutputs } from "../../loadtest/index.ts";
import { CHROMIUM, chromiumAvailable, decodePng, dumpDom, pixelStats, screenshot } from "../helpers/chromium.ts";

const config = loadConfig({
  env: {},
  overrides: {
    "simulate.sessions": 120, "simulate.videos": 300, "simulate.sessionsPerUser": 2, "simulate.progress": false,
    "simulate.uploads.count": 10, "simulate.farm.bots": 6, "research.phaseItems": 500, "research.sampleEveryMs": 300_000,
    "storage.stateStore": "memory",
  },
});

t.test("research - the recorder observes a run without changing it, and its windows add up", async (t) => {
  const plain = await runSimulation(config, silentLogger());
  const run = await runResearch(config, silentLogger());
  const s = run.result.summary;
  t.equal(s.checksum, plain.summary.checksum, "same checksum with and without the recorder");
  const { series, phases, cascades, ladder, system } = run.research;
  const all = series.filter((r) => r.cohort === "all");
  t.ok(all.length >= 3, `${all.length} time windows`);
  t.equal(all.reduce((a, r) => a + r.items, 0), s.items, "the windows hold every item");
  t.equal(all.reduce((a, r) => a + r.sessions, 0), s.sessions, "and every ended session");
  for (const w of all) {
    const parts = series.filter((r) => r.t === w.t && r.cohort !== "all");
    t.equal(parts.length, config.feed.cohorts, `one row per cohort at t=${w.t}`);
    t.equal(parts.reduce((a, r) => a + r.items, 0), w.items, `cohort items add up at t=${w.t}`);
  }
  t.equal(system.length, all.length, "one system row per window");
  t.equal(phases.length, Math.floor(s.items / 500) + (s.items % 500 >= 250 ? 1 : 0), "fixed-volume phases");
  t.ok(phases.every((p) => p.gini > 0 && p.gini < 1 && p.coverage > 0 && p.filterBubble > 0), "phase metrics in range");
  t.equal(cascades.length, s.uploads, "one cascade per upload");
  t.equal(ladder[0]!.videos, s.uploads);
  t.same(ladder.map((l) => l.videos).filter((v) => v > 0), s.promotedPerStage.filter((v) => v > 0), "stage counts match the viral coordinator");
  t.ok(system.reduce((a, r) => a + r.farmImpressions, 0) >= 0 && system[system.length - 1]!.flaggedSessions === s.flaggedSessions, "integrity flags follow the read models");
  t.ok(run.research.overall.ild > 0 && run.research.overall.entropy > 0, "ILD and entropy measured");

  const dir = mkdtempSync(join(tmpdir(), "fyp-research-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = writeRunOutputs(dir, run, config);
  t.same(files.map((f) => f.slice(dir.length + 1)).sort(), ["cascades.csv", "homogenization.csv", "phases.csv", "report.html", "summary.json", "system.csv", "timeseries.csv"]);
  const csv = readFileSync(join(dir, "timeseries.csv"), "utf8").trim().split("\n");
  t.match(csv[0], /^t_min,t,cohort,items,activeUsers,watchPerItemS,completionRate,skipRate/, "CSV header");
  t.equal(csv.length - 1, series.length, "one CSV line per row");
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { summary: { checksum: string }; config: unknown };
  t.equal(summary.summary.checksum, s.checksum);
  const html = readFileSync(join(dir, "report.html"), "utf8");
  t.notMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, "no scripts, no remote resources");

  if (!chromiumAvailable()) {
    t.fail(`${CHROMIUM} is missing: scripts/ensure-system-deps.sh installs Debian's chromium`);
    return;
  }
  const url = pathToFileURL(join(dir, "report.html")).href;
  const dom = await dumpDom(url);
  const charts = dom.match(/<svg[^>]*class="chart"/g) ?? [];
  t.ok(charts.length >= 15, `${charts.length} charts in the rendered DOM`);
  for (const id of ["watch-per-item", "diversity", "filter-bubble", "cohort-gini", "ladder-reached", "integrity", "stabilizer"]) {
    t.match(dom, new RegExp(`data-chart="${id}"`), `chart ${id} present`);
  }
  t.ok((dom.match(/class="series"/g) ?? []).length >= 40, "charts carry their data series");
  const img = decodePng(await screenshot(url, 1300, 1800));
  const px = pixelStats(img);
  t.equal(img.width, 1300);
  t.ok(px.colours > 50 && px.nonWhiteShare > 0.03, `screenshot is not blank (${px.colours} colours, ${(px.nonWhiteShare * 100).toFixed(1)}% non-white)`);
});
