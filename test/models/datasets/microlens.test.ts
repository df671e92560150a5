import t from "tap";
import { join } from "node:path";
import { microlensPairsCsv, microlensPairsTsv, microlensTitles, openDataset } from "../../../models/index.ts";
import { collect, DATASETS, RULES, tempFiles } from "../../helpers/datasets.ts";

const DIR = join(DATASETS, "microlens");

t.test("microlens - pairs.tsv: 50,000 users, 19,220 items, 359,708 interactions; titles for every item", async (t) => {
  const s = microlensPairsTsv(join(DIR, "MicroLens-50k_pairs.tsv"));
  const users = new Set<number>();
  const items = new Set<number>();
  let n = 0;
  let first: unknown;
  for await (const i of s) {
    first ??= i;
    users.add(i.userId);
    items.add(i.videoId);
    n++;
  }
  t.equal(s.report.rows, 50_000);
  t.equal(users.size, 50_000);
  t.equal(items.size, 19_220);
  t.equal(n, 359_708);
  t.match(first, { userId: 1, videoId: 1958, timeMs: 0, timeIsOrdinal: true, labels: { watchRatio: null } });
  const titles = await collect(microlensTitles(join(DIR, "MicroLens-50k_titles.csv")));
  t.equal(titles.length, 19_220);
  const titled = new Set(titles.map((x) => x.videoId));
  t.equal([...items].filter((id) => !titled.has(id)).length, 0, "every item has a title");
  t.match(titles[0], { videoId: 1, title: /^Gu long song gaga bad/ });
});

t.test("microlens - the official pairs.csv format: header optional, seconds to ms, duplicates dropped", async (t) => {
  const dir = tempFiles({
    "p_pairs.csv": "user,item,timestamp\n1,10,1600000000\n1,10,1600000000\n1,11,1600000100\n2,12,1600000000123\n3,x,5\n",
    "q_pairs.csv": "1,10,1600000000\n",
  });
  const s = microlensPairsCsv(join(dir, "p_pairs.csv"));
  const rows = await collect(s);
  t.same(rows.map((r) => [r.userId, r.videoId, r.timeMs]), [[1, 10, 1600000000000], [1, 11, 1600000100000], [2, 12, 1600000000123]]);
  t.equal(s.report.duplicates, 1);
  t.equal(s.report.badRows, 1);
  t.match(s.report.errors[0], { file: "p_pairs.csv", line: 6, column: "item" });
  t.equal((await collect(microlensPairsCsv(join(dir, "q_pairs.csv")))).length, 1);
});

t.test("microlens - malformed pairs.tsv lines are reported, a repeated user is a duplicate", async (t) => {
  const dir = tempFiles({ "m_pairs.tsv": "1\t5 6\n2\t\nabc\t1\n3\t7 x\n1\t5 6\n4\t8\r\n" });
  const s = microlensPairsTsv(join(dir, "m_pairs.tsv"));
  const rows = await collect(s);
  t.same(rows.map((r) => [r.userId, r.videoId]), [[1, 5], [1, 6], [4, 8]]);
  t.equal(s.report.duplicates, 1);
  t.same(s.report.errors.map((e) => [e.line, e.column]), [[2, "items"], [3, "user"], [4, "items"]]);
  const src = openDataset("microlens", dir, { rules: RULES });
  t.equal((await collect(src.interactions())).every((i) => i.session === null), true);
});
