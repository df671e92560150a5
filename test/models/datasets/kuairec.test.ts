import t from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kuairecCaptions, kuairecItemCategories, kuairecMatrix, kuaiUserFeatures, openDataset } from "../../../models/index.ts";
import { collect, DATASETS, RULES, tempFiles } from "../../helpers/datasets.ts";

const DIR = join(DATASETS, "kuairec");

t.test("kuairec - captions: 10,728 videos, records with raw line breaks parsed whole", async (t) => {
  const s = kuairecCaptions(join(DIR, "kuairec_caption_category.csv"));
  const patches = await collect(s);
  t.equal(patches.length, 10_728);
  t.equal(s.report.badRows, 0);
  const ids = patches.map((p) => p.videoId);
  t.same(ids.slice(0, 3), [0, 1, 2]);
  t.equal(new Set(ids).size, 10_728);
  const byId = new Map(patches.map((p) => [p.videoId, p.patch]));
  // The published file's line breaks inside captions: the rest of each record still lands in its columns.
  const broken = patches.filter((p) => p.patch.title?.includes("\r") || p.patch.title?.includes("\n"));
  t.same(broken.map((p) => p.videoId), [1378, 1613, 5910, 6331]);
  t.same(byId.get(1378)!.categoryNames, ["明星娱乐"]);
  t.equal(byId.get(1378)!.title, "张凯教练：“我希望我们能开启一段王朝\r！”");
  t.same(byId.get(1613)!.categoryNames, ["明星娱乐", "娱乐八卦", "明星八卦"]);
  t.same(byId.get(5910)!.categoryNames, ["其他", "生活泛拍"]);
});

t.test("kuairec - a caption with a raw \\n (other copies of the file) is joined", async (t) => {
  const head = readFileSync(join(DIR, "kuairec_caption_category.csv"), "utf8").split("\n")[0];
  const dir = tempFiles({ "cap.csv": `${head}\n7,UNKNOWN,first half\nsecond half,[],6,明星娱乐,-124,UNKNOWN,-124,UNKNOWN\n8,UNKNOWN,ok,[],9,喜剧,727,搞笑互动,-124,UNKNOWN\n` });
  const patches = await collect(kuairecCaptions(join(dir, "cap.csv")));
  t.same(patches, [
    { videoId: 7, patch: { title: "first half\nsecond half", categoryNames: ["明星娱乐"] } },
    { videoId: 8, patch: { title: "ok", categoryNames: ["喜剧", "搞笑互动"] } },
  ]);
});

t.test("kuairec - item categories, user features and the 100-row big_matrix fixture", async (t) => {
  const cats = await collect(kuairecItemCategories(join(DIR, "item_categories.csv")));
  t.equal(cats.length, 10_728);
  t.same(cats[1], { videoId: 1, tags: [27, 9], category: 27 });
  t.equal((await collect(kuaiUserFeatures(join(DIR, "user_features.csv")))).length, 7_176);
  const m = kuairecMatrix(join(DIR, "big_matrix_head100.csv"), RULES);
  const rows = await collect(m);
  t.equal(rows.length, 100);
  t.equal(m.report.rows, 100);
  t.match(rows[0], { userId: 0, videoId: 3649, playMs: 13_838, durationMs: 10_867, timeMs: 1593878903438 });
  // The derived ratio equals the file's own watch_ratio column on every row.
  const fileRatios = readFileSync(join(DIR, "big_matrix_head100.csv"), "utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[7]));
  rows.forEach((r, k) => t.ok(Math.abs(r.labels.watchRatio! - fileRatios[k]!) < 1e-9, `row ${k + 2}`));
});

t.test("kuairec - openDataset streams the matrix with sessions", async (t) => {
  const src = openDataset("kuairec", DIR, { rules: RULES });
  const rows = await collect(src.interactions());
  t.equal(rows.length, 100);
  t.ok(rows.every((r) => r.session !== null));
  t.equal(rows[0]!.session!.session, 0);
});
