import t from "tap";
import { SyntheticFeedCatalog, SyntheticWorld, createRng, worldParamsFor } from "../../../models/index.ts";
import { loadConfig } from "../../../configs/index.ts";

const config = loadConfig({ profile: "small", env: {}, overrides: {} });
const world = new SyntheticWorld(worldParamsFor(config.synthetic.params), config.synthetic.seed, config.synthetic.users, 3000);

t.test("feed catalog - refreshTop lists each category's best ids by quality + tie-break, best first, ties by lower id", async (t) => {
  const catalog = new SyntheticFeedCatalog(world, 8);
  const rng = createRng(5);
  // a few levels only, so equal estimates (and equal scores) are common; the rest stay unknown (0.5)
  for (let id = 0; id < catalog.size; id++) if (rng.next() < 0.6) catalog.setQuality(id, Math.round(rng.next() * 4) / 4);
  const per = 20;
  catalog.refreshTop(per);
  const jitter = (id: number) => ((id * 2654435761) % 1000) / 1e6;
  const score = (id: number) => catalog.quality(id) + jitter(id);
  let checked = 0;
  for (const k of catalog.categories()) {
    const ids: number[] = [];
    for (let id = 0; id < catalog.size; id++) if (catalog.get(id)!.category === k) ids.push(id);
    const top = catalog.topItems(k, per);
    t.equal(top.length, Math.min(per, ids.length), `category ${k}: full list`);
    for (let i = 1; i < top.length; i++) {
      const a = top[i - 1]!, b = top[i]!;
      t.ok(score(a) > score(b) || (score(a) === score(b) && a < b), `category ${k}: position ${i} in order`);
    }
    // nothing left out scores above the last kept one
    const last = top.length > 0 ? score(top[top.length - 1]!) : -Infinity;
    const kept = new Set(top);
    t.notOk(ids.some((id) => !kept.has(id) && score(id) > last), `category ${k}: the best are kept`);
    checked++;
  }
  t.ok(checked > 10);
  // the vectors of the world's videos are unit vectors with the catalog's dimensions (views into one block)
  const v = catalog.get(0)!.vector;
  t.equal(v.length, 8);
  t.ok(Math.abs(v.reduce((s, x) => s + x * x, 0) - 1) < 1e-5);
  t.notSame(Array.from(catalog.get(1)!.vector), Array.from(v), "each video has its own vector");
});
