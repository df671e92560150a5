import t from "tap";
import { createRng, sortBestFirst } from "../../../models/index.ts";

t.test("sortBestFirst - the comparator sort's order (score desc, id asc) on random lists with ties, ±0, ±Infinity and NaN", async (t) => {
  const rng = createRng(11);
  const special = [0, -0, Infinity, -Infinity, 0.5, -0.5];
  let checked = 0;
  for (let trial = 0; trial < 500; trial++) {
    const n = rng.int(trial < 50 ? 20 : 400);
    const ids = new Set<number>();
    const list: { id: number; score: number; tag: number }[] = [];
    while (list.length < n) {
      const id = rng.int(100_000);
      if (ids.has(id)) continue;
      ids.add(id);
      const r = rng.next();
      const score = r < 0.2 ? special[rng.int(special.length)]! : r < 0.5 ? Math.round(rng.next() * 8) / 8 : rng.next() * 4 - 2;
      list.push({ id, score, tag: list.length });
    }
    if (trial % 100 === 99 && n > 0) list[rng.int(n)]!.score = Number.NaN;
    const want = list.slice().sort((a, b) => b.score - a.score || a.id - b.id);
    sortBestFirst(list);
    if (!list.every((x, i) => x === want[i])) {
      t.fail(`trial ${trial}: ${JSON.stringify(list.map((x) => x.id))} != ${JSON.stringify(want.map((x) => x.id))}`);
      return;
    }
    checked++;
  }
  t.equal(checked, 500, "500 lists in the same order as the comparator sort (the same objects)");
});
