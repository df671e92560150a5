import t from "tap";
import { loadConfig } from "../../configs/index.ts";
import { silentLogger } from "../../cluster/index.ts";
import { runSimulation } from "../../loadtest/index.ts";

// Each scenario is a seeded, small, complete simulation: viewers, recommender actors and coordinators.
const base = {
  "simulate.sessions": 300, "simulate.videos": 500, "simulate.progress": false, "simulate.uploads.count": 0,
  "simulate.arrivalWindowMs": 900_000, "simulate.returnDelayMs": 300_000, "storage.stateStore": "memory",
};

t.test("viral ladder - a strong new video climbs at least two stages while a weak one retires at stage 0", async (t) => {
  const config = loadConfig({
    env: {},
    overrides: {
      ...base, "simulate.sessions": 400, "simulate.arrivalWindowMs": 1_200_000,
      "feed.cohorts": 4, "feed.viral.stageBudgets": "[30,120,480]", "feed.viral.stageCohorts": "[1,2,4]", "feed.viral.promoteAt": "[0.6,0.6,0.6]",
    },
  });
  const r = await runSimulation(config, silentLogger(), {
    uploads: [
      { at: 60_000, category: 5, durationMs: 15_000, quality: 2.5 },
      { at: 60_000, category: 5, durationMs: 15_000, quality: 0.25 },
    ],
  });
  const strong = `v${config.simulate.videos}`;
  const weak = `v${config.simulate.videos + 1}`;
  const decisions = (id: string) => r.viral.log.filter((d) => d.videoId === id);
  const strongPromotions = decisions(strong).filter((d) => d.decision === "promote" || d.decision === "graduate");
  t.ok(strongPromotions.length >= 2, `strong video promoted ${strongPromotions.length} times: ${JSON.stringify(decisions(strong))}`);
  t.same(decisions(weak).map((d) => [d.stage, d.decision]), [[0, "retire"]], "weak video retired at stage 0");
  t.ok(strongPromotions.every((d) => d.score >= 0.6), "promotions only at or above the threshold");
  t.ok((r.viral.meanTimeToStageMs[2] ?? 0) > (r.viral.meanTimeToStageMs[1] ?? 0), "later stages take longer to reach");
});

t.test("integrity - an injected bot farm is flagged and its videos lose exposure", async (t) => {
  const config = loadConfig({
    env: {},
    overrides: { ...base, "simulate.farm.bots": 12, "simulate.farm.videos": 3, "simulate.farm.intervalMs": 3000, "simulate.farm.events": 150 },
  });
  const r = await runSimulation(config, silentLogger());
  t.equal(r.summary.flaggedSessions, 12, "every bot session flagged");
  t.same([...r.integrity.flaggedVideos].sort(), [...r.farmTargets].sort(), "exactly the farm's videos flagged");
  const flagAt = Math.min(...r.integrity.farms.map((f) => f.at));
  const end = r.summary.virtualMs;
  // share of normal viewers' impressions that went to farm videos, before and after the flag
  const before = r.farmImpressionTimes.filter((x) => x < flagAt).length;
  const after = r.farmImpressionTimes.filter((x) => x >= flagAt).length;
  const totalBefore = r.impressionsPerMinute.slice(0, Math.ceil(flagAt / 60_000)).reduce((a, b) => a + b, 0);
  const totalAfter = r.impressionsPerMinute.slice(Math.ceil(flagAt / 60_000)).reduce((a, b) => a + b, 0);
  t.ok(before > 0, `the farm bought exposure before it was caught (${before} of ${totalBefore} impressions)`);
  const shareBefore = before / Math.max(1, totalBefore);
  const shareAfter = after / Math.max(1, totalAfter);
  t.ok(shareAfter < shareBefore / 10, `farm videos' share of impressions fell from ${shareBefore.toFixed(4)} to ${shareAfter.toFixed(4)} (flagged at ${flagAt} ms of ${end})`);
});

t.test("homogenization - the stabilizer raises novelty within its bounds and ends less concentrated than without it", async (t) => {
  const run = (enabled: boolean) =>
    runSimulation(
      loadConfig({ env: {}, overrides: { ...base, "simulate.videos": 600, "homogenization.enabled": enabled, "exploration.noveltyRate": 0.05 } }),
      silentLogger(),
    );
  const off = await run(false);
  const on = await run(true);
  const cfg = loadConfig({ env: {} }).homogenization;
  t.ok(off.homogenization.every((s) => s.noveltyRate === 0.05), "off: the novelty rate never moves");
  const rates = on.homogenization.map((s) => s.noveltyRate);
  t.ok(Math.max(...rates) > 0.05, `on: novelty raised (max ${Math.max(...rates)})`);
  t.ok(rates.every((r) => r >= cfg.noveltyMin - 1e-9 && r <= cfg.noveltyMax + 1e-9), "on: novelty within [noveltyMin, noveltyMax]");
  t.ok(on.summary.gini < off.summary.gini, `exposure Gini with the stabilizer ${on.summary.gini} < without ${off.summary.gini}`);
  t.ok(on.summary.coverage > off.summary.coverage, `coverage with ${on.summary.coverage} > without ${off.summary.coverage}`);
});
