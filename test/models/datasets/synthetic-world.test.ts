import t from "tap";
import { join } from "node:path";
import {
  checkWorld, fitWorldParams, importDataset, loadShippedParams, MemoryCatalog, openDataset, SyntheticWorld, ksDistance, spearman,
} from "../../../models/index.ts";
import { DATASETS, RULES } from "../../helpers/datasets.ts";

t.test("synthetic - users and videos are pure functions of (seed, index), up to 10M x 1M", async (t) => {
  const p = loadShippedParams();
  const a = new SyntheticWorld(p, 7, 10_000_000, 1_000_000);
  const b = new SyntheticWorld(p, 7, 10_000_000, 1_000_000);
  for (const i of [0, 1, 123_456, 9_999_999]) {
    t.same(a.user(i), b.user(i), `user ${i}`);
    const s = a.user(i).affinity.reduce((x, y) => x + y, 0);
    t.ok(Math.abs(s - 1) < 1e-9, "affinity sums to 1");
  }
  t.same(a.video(999_999), b.video(999_999));
  t.same([...a.interactionsOf(42)], [...b.interactionsOf(42)]);
  t.notSame(a.user(5).affinity, new SyntheticWorld(p, 8, 10_000_000, 1_000_000).user(5).affinity, "another seed, another world");
  t.equal(a.video(0).categoryIndex, 0);
  t.equal(a.video(999_999).categoryIndex, p.categories.ids.length - 1, "video blocks cover every index");
});

t.test("synthetic - KS and Spearman helpers", async (t) => {
  t.equal(ksDistance([1, 2, 3], [1, 2, 3]), 0);
  t.equal(ksDistance([1, 2], [3, 4]), 1);
  t.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  t.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
});

t.test("synthetic - fit on KuaiRand gives the committed params, and the world matches its source", async (t) => {
  const catalog = new MemoryCatalog("kuairand");
  await importDataset(openDataset("kuairand", join(DATASETS, "kuairand"), { rules: RULES }), catalog);
  const fitted = fitWorldParams(catalog, { source: "kuairand" });
  t.same(fitted, loadShippedParams(), "models/datasets/synthetic/kuairand-params.json is this fit (refit: fyp data fit kuairand)");
  const world = new SyntheticWorld(fitted, 11, 10_000_000, 1_000_000);
  const c = checkWorld(catalog, world, { users: 6_000, videos: 20_000 });
  t.ok(c.durationKs <= 0.05, `KS of durations ${c.durationKs.toFixed(4)} <= 0.05`);
  t.ok(c.categorySpearman >= 0.9, `Spearman of category popularity ${c.categorySpearman.toFixed(3)} >= 0.9`);
  t.ok(c.watchRatioRelError <= 0.05, `mean watch ratio ${c.worldMeanWatchRatio.toFixed(4)} vs ${c.sourceMeanWatchRatio.toFixed(4)} within 5%`);
  t.ok(c.sampledInteractions > 30_000);
});

t.test("synthetic - config params: empty is the shipped fit, a bad file is a clear error", async (t) => {
  const { worldParamsFor } = await import("../../../models/index.ts");
  t.equal(worldParamsFor("").source.dataset, "kuairand");
  t.equal(worldParamsFor("").source.interactions, 180_384);
  t.throws(() => worldParamsFor("/nonexistent/params.json"), { name: "InvalidArgumentError", message: /synthetic\.params/ });
});
