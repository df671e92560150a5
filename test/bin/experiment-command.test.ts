import t from "tap";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/run-cli.ts";

t.test("cli - fyp experiment runs arms on shared seeds and writes the comparison", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "fyp-exp-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const arms = join(dir, "arms.json");
  writeFileSync(arms, JSON.stringify({
    name: "smoke",
    base: { simulate: { sessions: 40, videos: 150, sessionsPerUser: 1, "uploads.count": 3 }, "research.phaseItems": 200, "storage.stateStore": "memory" },
    arms: [{ name: "plain", overrides: { "exploration.noveltyRate": 0.05 } }, { name: "novel", overrides: { exploration: { noveltyRate: 0.4 } } }],
  }));
  const out = join(dir, "out");
  const r = await runCli(["experiment", "--arms", arms, "--replicates", "2", "--out", out, "--no-progress", "--log-level", "warn"]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\| metric \| plain \(mean \[95% CI\]\) \| novel \(mean \[95% CI\]\) \| novel − plain \(paired, t CI\) \|/);
  t.match(r.stdout, /seeds 42, 43 shared by the arms/);
  const exp = JSON.parse(readFileSync(join(out, "experiment.json"), "utf8")) as { arms: { name: string; checksums: string[]; seeds: number[] }[]; comparisons: unknown[] };
  t.same(exp.arms.map((a) => a.seeds), [[42, 43], [42, 43]]);
  t.not(exp.arms[0]!.checksums[0], exp.arms[1]!.checksums[0], "the arms differ");
  t.ok(exp.comparisons.length > 10);
  t.match(readFileSync(join(out, "report.html"), "utf8"), /data-chart="traj-gini"/);
  t.equal(readFileSync(join(out, "replicates.csv"), "utf8").trim().split("\n").length, 5, "header + 2 arms x 2 replicates");
});
