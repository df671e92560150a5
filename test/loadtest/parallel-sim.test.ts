import t from "tap";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { runResearch, runSimulation, writeRunOutputs, type SimulationSummary } from "../../loadtest/index.ts";
import { ConfigError, ErrorCode, FypError, InvalidArgumentError } from "../../protocols/index.ts";

const config = (workers: number, extra: Record<string, unknown> = {}) =>
  loadConfig({
    env: {},
    overrides: {
      "simulate.seed": 11, "simulate.sessions": 240, "simulate.videos": 600, "simulate.progress": false,
      "simulate.arrivalWindowMs": 60_000, "simulate.returnDelayMs": 120_000, "simulate.uploads.count": 6, "simulate.uploads.everyMs": 20_000,
      "actors.passivationIdleMs": 30_000, "actors.sweepIntervalMs": 10_000, "storage.stateStore": "memory",
      // an ask's 5 s deadline is shorter than a message's way between nodes (up to 1 + lagEpochs epochs of
      // 5 s, the defaults, each way): asks between nodes must still be answered
      "simulate.workers": workers,
      ...extra,
    },
  });

const EPOCH_MS = config(2).simulate.epochMs;

/** The summary without its wall-time figures (what must repeat for a config + seed). */
function outcome(s: SimulationSummary): Record<string, unknown> {
  const { wallMs: _w, realTimeFactor: _r, eventsPerSec: _e, messagesPerSec: _m, heapBytesPerActor: _h, ...rest } = s;
  return rest;
}

t.test("parallel simulation - two nodes in lockstep: every viewer served, traffic crosses, and the run repeats", async (t) => {
  const a = await runSimulation(config(2), silentLogger());
  const b = await runSimulation(config(2), silentLogger());
  const one = await runSimulation(config(1), silentLogger());
  const s = a.summary;
  t.equal(s.workers, 2);
  t.equal(s.failedMessages, 0, "no message failed or was dropped between nodes (the viral coordinator's asks to cohorts on the other node were answered)");
  t.equal(s.feedErrors, 0);
  t.ok(a.nodes !== undefined, "a parallel run reports its lockstep figures");
  const nodes = a.nodes!;
  t.equal(nodes.items.length, 2);
  t.ok(nodes.items.every((n) => n > 0), `both nodes' viewers watched (${nodes.items.join(", ")} items)`);
  t.equal(nodes.items[0]! + nodes.items[1]!, s.items, "the nodes' items add up to the summary's");
  t.ok(nodes.crossings > 0, `messages crossed between the nodes (${nodes.crossings})`);
  t.equal(nodes.deliveryLagMs, EPOCH_MS, "by default (lagEpochs 1) what a node posts at an epoch's end arrives at the next one's");
  t.ok(nodes.waitMs.length === 2 && nodes.waitMs.every((w) => Number.isFinite(w) && w >= 0), `each node's wall ms spent waiting for the other (${nodes.waitMs.join(", ")})`);
  t.ok(nodes.epochs >= Math.floor(s.virtualMs / EPOCH_MS), `${nodes.epochs} epochs of ${EPOCH_MS} ms for ${s.virtualMs} ms of virtual time`);
  // every viewer arrives once on exactly one node and runs all its sessions
  t.equal(s.sessions, one.summary.sessions, "as many sessions as the one-node run (the return model does not depend on the feed)");
  // the uploads' actors live on either node; each reached the viral coordinator (on one of them), whose
  // first-stage pools were published to both
  t.equal(s.uploads, 6);
  t.equal(s.promotedPerStage[0], 6, "every upload entered the viral ladder's first stage");
  t.ok(Math.abs(s.items - one.summary.items) / one.summary.items < 0.1, `items close to the one-node run's (${s.items} vs ${one.summary.items})`);
  t.same(outcome(b.summary), outcome(s), "same config + seed + workers: the same summary");
  t.equal(b.summary.checksum, s.checksum);
  t.not(s.checksum, one.summary.checksum, "not the one-node run: each node learns from its own viewers, messages between nodes arrive late");
});

t.test("parallel simulation - lagEpochs: what a node posts arrives that many epochs later, and the run still completes and repeats", async (t) => {
  const one = await runSimulation(config(1), silentLogger());
  for (const lag of [0, 2]) {
    const a = await runSimulation(config(2, { "simulate.lagEpochs": lag }), silentLogger());
    const b = await runSimulation(config(2, { "simulate.lagEpochs": lag }), silentLogger());
    const s = a.summary;
    t.equal(a.nodes!.deliveryLagMs, lag * EPOCH_MS, `lag ${lag}: posts delivered ${lag} epochs after their own`);
    t.equal(s.failedMessages, 0, `lag ${lag}: no ask timed out (the deadline allows for the lag)`);
    t.equal(s.sessions, one.summary.sessions, `lag ${lag}: every session ran (the run did not stop while something was on its way)`);
    t.equal(s.promotedPerStage[0], 6, `lag ${lag}: every upload entered the viral ladder`);
    t.ok(Math.abs(s.items - one.summary.items) / one.summary.items < 0.1, `lag ${lag}: items close to the one-node run's (${s.items} vs ${one.summary.items})`);
    t.same(outcome(b.summary), outcome(s), `lag ${lag}: same config + seed + workers + lag, the same summary`);
  }
});

t.test("parallel simulation - a run stopped at a virtual horizon ends there, sessions still in progress", async (t) => {
  const { summary } = await runSimulation(config(2), silentLogger(), { untilMs: 45_000 });
  t.equal(summary.virtualMs, 45_000, "the run ends at the horizon");
  t.ok(summary.items > 0, `viewers watched before it (${summary.items} items)`);
  t.ok(summary.peakConcurrentSessions > summary.sessions, `sessions were still in progress (${summary.peakConcurrentSessions} at once, ${summary.sessions} ended)`);
  t.equal(summary.failedMessages, 0);
});

t.test("parallel simulation - research outputs: two nodes' events merged in virtual-time order into one recorder", async (t) => {
  const researchConfig = config(2, { "research.phaseItems": 500, "research.sampleEveryMs": 60_000 });
  const a = await runResearch(researchConfig, silentLogger());
  const plain = await runSimulation(researchConfig, silentLogger());
  const s = a.result.summary;
  t.equal(s.workers, 2);
  t.equal(s.checksum, plain.summary.checksum, "the recorder changes nothing in the run");
  const r = a.research;
  const all = r.series.filter((x) => x.cohort === "all");
  t.equal(all.reduce((n, x) => n + x.items, 0), s.items, `every node's items are in the windows (${s.items})`);
  t.equal(r.overall.items, s.items);
  t.ok(all.every((x, i) => i === 0 || x.t > all[i - 1]!.t), "windows in time order");
  for (const w of all) {
    const cohorts = r.series.filter((x) => x.t === w.t && x.cohort !== "all");
    t.equal(cohorts.reduce((n, x) => n + x.items, 0), w.items, `window ${w.t}: the cohorts' items add up to the window's`);
  }
  t.equal(r.phases.length, Math.floor(s.items / 500) + (s.items % 500 >= 250 ? 1 : 0), "a phase per 500 items of both nodes, in merged order");
  t.equal(r.cascades.length, 6, "every upload's cascade, whichever node hosted its actor");
  t.ok(r.cascades.every((c) => c.reachedAt[0] === c.uploadedAt));
  t.equal(r.system.reduce((n, x) => n + x.uploads, 0), 6);
  t.equal(r.ladder[1]!.videos, s.promotedPerStage[1], "the ladder's stage-1 count is the coordinator's");
  t.ok(r.overall.filterBubble > 0 && r.overall.homogeneity > 0, "tracked viewers' tastes reached the main thread");
  const b = await runResearch(researchConfig, silentLogger());
  t.same(b.research, r, "same config + seed + workers: the same research data");

  const dir = mkdtempSync(join(tmpdir(), "fyp-par-research-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeRunOutputs(dir, a, researchConfig);
  for (const f of ["summary.json", "timeseries.csv", "system.csv", "phases.csv", "cascades.csv", "report.html"]) t.ok(existsSync(join(dir, f)), f);
  t.equal(readFileSync(join(dir, "timeseries.csv"), "utf8").trim().split("\n").length, 1 + r.series.length);
});

t.test("parallel simulation - refuses what needs one node's event order, and a bad worker count", async (t) => {
  const refused = await runSimulation(config(2), silentLogger(), { trace: () => undefined }).then(() => undefined, (e: unknown) => e);
  t.ok(refused instanceof InvalidArgumentError, "a trace needs simulate.workers 1");
  t.match((refused as Error).message, /simulate\.workers/);
  t.match((refused as Error).message, /trace/);
  let bad: unknown;
  try {
    config(0);
  } catch (e) {
    bad = e;
  }
  // a node that cannot start (here: a ranker model that is not there) fails the run with its error, not a hang
  const missing = await runSimulation(config(2, { "feed.ranker": "/nonexistent/feed-ranker" }), silentLogger()).then(() => undefined, (e: unknown) => e);
  t.ok(missing instanceof FypError, "the node's error comes back");
  t.equal((missing as FypError).code, ErrorCode.NotFound, "with its code");
  t.match((missing as Error).message, /simulation node \d: .*\/nonexistent\/feed-ranker/);
  t.ok(bad instanceof ConfigError, "workers 0 is a config error");
  t.match((bad as Error).message, /simulate\.workers/);
});
