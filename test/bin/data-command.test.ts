import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/run-cli.ts";

t.test("fyp data - import kuairec from the configured datasets dir, then stats reports the same counts", async (t) => {
  const catalog = mkdtempSync(join(tmpdir(), "fyp-cli-catalog-"));
  t.teardown(() => rmSync(catalog, { recursive: true, force: true }));
  const imp = await runCli(["data", "import", "kuairec", "--catalog", catalog, "--no-progress", "--log-level", "warn"]);
  t.equal(imp.code, 0, imp.stderr);
  const summary = JSON.parse(imp.stdout);
  t.same(summary.counts, { videos: 10_728, users: 7_176, interactions: 100 });
  t.equal(summary.videoPatches.rows, 10_728);
  const st = await runCli(["data", "stats", "--catalog", catalog, "--log-level", "warn"]);
  t.equal(st.code, 0, st.stderr);
  const stats = JSON.parse(st.stdout);
  t.equal(stats.dataset, "kuairec");
  t.match(stats.counts, { videos: 10_728, users: 7_176, interactions: 100, usersWithInteractions: 1 });
});

t.test("fyp data - bad arguments are clear errors", async (t) => {
  const r = await runCli(["data", "import", "movielens", "--log-level", "silent"]);
  t.not(r.code, 0);
  t.match(r.stderr, /dataset/);
});
