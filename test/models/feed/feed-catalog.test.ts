import t from "tap";
import { SyntheticFeedCatalog, SyntheticWorld, worldParamsFor } from "../../../models/index.ts";
import { loadConfig } from "../../../configs/index.ts";

const config = loadConfig({ profile: "small", env: {}, overrides: {} });
const world = new SyntheticWorld(worldParamsFor(config.synthetic.params), config.synthetic.seed, config.synthetic.users, 3000);

t.test("feed catalog - categories list every video once; quality falls back to the prior; vectors are unit views", async (t) => {
  const catalog = new SyntheticFeedCatalog(world, 8);
  const all = catalog.categories().flatMap((k) => catalog.categoryItems(k).map((id) => [k, id] as const));
  t.equal(all.length, catalog.size, "every video in exactly one category list");
  t.ok(all.every(([k, id]) => catalog.get(id)!.category === k), "in its own category");
  t.equal(catalog.quality(7), 0.5, "unknown: the initial prior");
  catalog.setPrior(0.31);
  t.equal(catalog.quality(7), 0.31, "unknown: the prior set by the aggregator");
  catalog.setQuality(7, 0.9);
  t.equal(catalog.quality(7), 0.9, "known: its estimate");
  t.equal(catalog.quality(8), 0.31);
  // the vectors of the world's videos are unit vectors with the catalog's dimensions (views into one block)
  const v = catalog.get(0)!.vector;
  t.equal(v.length, 8);
  t.ok(Math.abs(v.reduce((s, x) => s + x * x, 0) - 1) < 1e-5);
  t.notSame(Array.from(catalog.get(1)!.vector), Array.from(v), "each video has its own vector");
});
