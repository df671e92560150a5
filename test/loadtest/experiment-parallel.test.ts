import t from "tap";
import { silentLogger } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { runExperiment, type ExperimentSpec } from "../../loadtest/index.ts";
import { ErrorCode, FypError } from "../../protocols/index.ts";

const spec: ExperimentSpec = {
  name: "parallel",
  base: { simulate: { sessions: 40, videos: 150, sessionsPerUser: 1, "uploads.count": 2 }, "research.phaseItems": 200 },
  arms: [
    { name: "plain", overrides: { "exploration.noveltyRate": 0.05 } },
    { name: "novel", overrides: { "exploration.noveltyRate": 0.4 } },
  ],
  baseline: "plain",
  replicates: 2,
};

const configFor = (parallelRuns: number) => (o: Record<string, unknown>) =>
  loadConfig({ env: {}, overrides: { ...o, "storage.stateStore": "memory", "simulate.progress": false, "research.parallelRuns": parallelRuns } });

t.test("experiment - runs on worker threads at once give what one run at a time gives, reported in the same order", async (t) => {
  const order = (runs: string[]) => (arm: string, seed: number) => void runs.push(`${arm}@${seed}`);
  const serialOrder: string[] = [], parallelOrder: string[] = [];
  const serial = await runExperiment(spec, configFor(1), silentLogger(), { progress: false, onRun: order(serialOrder) });
  const parallel = await runExperiment(spec, configFor(2), silentLogger(), { progress: false, onRun: order(parallelOrder) });
  t.same(serialOrder, ["plain@42", "novel@42", "plain@43", "novel@43"], "one at a time: replicate-major");
  t.same(parallelOrder, serialOrder, "two at once: the runs are handed on in the same order");
  const { wallMs: _a, ...s } = serial;
  const { wallMs: _b, ...p } = parallel;
  t.same(p.arms.map((a) => a.checksums), s.arms.map((a) => a.checksums), "every run's checksum is the one it has alone");
  t.not(s.arms[0]!.checksums[0], s.arms[1]!.checksums[0], "the arms differ");
  t.same(p, s, "the same runs, phases, estimates and comparisons");
});

t.test("experiment - a run that fails on a worker thread fails the experiment with its own error, naming the arm and seed", async (t) => {
  const broken: ExperimentSpec = { ...spec, arms: [spec.arms[0]!, { name: "broken", overrides: { "feed.ranker": "/nonexistent/feed-ranker" } }] };
  const e = await runExperiment(broken, configFor(2), silentLogger(), { progress: false }).then(() => undefined, (x: unknown) => x);
  t.ok(e instanceof FypError, "the run's error comes back");
  t.equal((e as FypError).code, ErrorCode.NotFound, "with its code");
  t.match((e as Error).message, /research run \(arm broken, seed 4[23]\): .*\/nonexistent\/feed-ranker/);
});
