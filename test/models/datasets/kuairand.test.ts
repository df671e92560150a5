import t from "tap";
import { join } from "node:path";
import { kuairandLog, kuairandVideos, kuaiUserFeatures, openDataset } from "../../../models/index.ts";
import { DatasetRowError } from "../../../protocols/index.ts";
import { collect, DATASETS, RULES, tempFiles } from "../../helpers/datasets.ts";

const DIR = join(DATASETS, "kuairand");
const LOG = join(DIR, "log_standard_pure_20220425_to_20220505.csv");
const HEADER = "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,is_profile_enter,is_rand,tab";

t.test("kuairand - the log reads 185,061 rows, drops 4,677 exact duplicates, and every id joins", async (t) => {
  const users = new Set((await collect(kuaiUserFeatures(join(DIR, "user_features_pure.csv")))).map((u) => u.userId));
  const videos = await collect(kuairandVideos(join(DIR, "video_features_basic_pure.csv")));
  t.equal(users.size, 27_285);
  t.equal(videos.length, 7_583);
  const videoIds = new Set(videos.map((v) => v.videoId));
  const log = kuairandLog(LOG, RULES);
  let n = 0;
  let unjoined = 0;
  let zeroDuration = 0;
  let first: unknown;
  for await (const i of log) {
    first ??= i;
    n++;
    if (!users.has(i.userId) || !videoIds.has(i.videoId)) unjoined++;
    if (i.durationMs === 0) {
      zeroDuration++;
      if (i.labels.watchRatio !== null) t.fail("duration 0 must give a null watch ratio");
    }
  }
  t.equal(log.report.rows, 185_061);
  t.equal(log.report.duplicates, 4_677);
  t.equal(log.report.badRows, 0);
  t.equal(n, 185_061 - 4_677);
  t.equal(unjoined, 0);
  t.ok(zeroDuration > 2_000, `rows with duration_ms = 0 kept with null ratio (${zeroDuration})`);
  // First row: 712,5239,...,long_view 1, play 61802, duration 49866.
  t.match(first, {
    userId: 712, videoId: 5239, timeMs: 1650812741436, playMs: 61_802, durationMs: 49_866, isRand: false, tab: 1,
    labels: { complete: true, validPlay: true, longView: true, skipFast: false, rewatch: false },
    signals: { click: true, like: false, longView: true },
  });
  t.equal((first as { labels: { watchRatio: number } }).labels.watchRatio.toFixed(4), "1.2394");
});

t.test("kuairand - the merged statistic file gives videos with stats; 'unknown' tags are no tags", async (t) => {
  const videos = await collect(kuairandVideos(join(DIR, "video_features_basic_plus_statistic_pure_merged.csv")));
  t.equal(videos.length, 7_583);
  t.match(videos[0], { videoId: 0, category: 39, durationMs: 87_433, authorId: 7_349_781, stats: { counts: 102 } });
  t.ok(videos.some((v) => v.tags.length === 0), "videos with tag 'unknown' have no tags");
  t.ok(videos.filter((v) => v.durationMs === undefined).length > 200, "picture sets have no duration");
});

t.test("kuairand - openDataset finds the files and labels sessions", async (t) => {
  const src = openDataset("kuairand", DIR, { rules: RULES });
  t.same(src.files.interactions.map((f) => f.split("/").pop()), ["log_standard_pure_20220425_to_20220505.csv"]);
  t.same(src.files.videos.map((f) => f.split("/").pop()), ["video_features_basic_plus_statistic_pure_merged.csv"]);
  t.throws(() => openDataset("kuairand", join(DIR, "nope"), { rules: RULES }), DatasetRowError);
});

t.test("kuairand - malformed rows: bad number, missing columns, broken quote are counted with file:line:column", async (t) => {
  const good = "712,5239,20220425,0,1650812741436,1,0,0,0,0,0,1,61802,49866,0,0,0,0,1";
  const dir = tempFiles({
    "log_standard_x.csv": [HEADER, good, good.replace("61802", "6x802"), "1,2,3", '13414,"6831,20220425', good.replace("712,", "713,")].join("\n") + "\n",
    "log_missing_col.csv": "user_id,video_id\n1,2\n",
    "empty.csv": "",
  });
  const log = kuairandLog(join(dir, "log_standard_x.csv"), RULES);
  const rows = await collect(log);
  t.same(rows.map((r) => r.userId), [712, 713]);
  t.equal(log.report.badRows, 3);
  t.same(log.report.errors.map((e) => [e.file, e.line, e.column]), [
    ["log_standard_x.csv", 3, "play_time_ms"],
    ["log_standard_x.csv", 4, "hourmin"],
    ["log_standard_x.csv", 5, "(record)"],
  ]);
  t.match(log.report.errors[0]!.message, /log_standard_x\.csv:3: column play_time_ms: not a number: "6x802"/);

  const strict = kuairandLog(join(dir, "log_standard_x.csv"), RULES, { strict: true });
  await t.rejects(collect(strict), { name: "DatasetRowError", line: 3, column: "play_time_ms" });

  await t.rejects(collect(kuairandLog(join(dir, "log_missing_col.csv"), RULES)), { name: "DatasetRowError", line: 1, column: "time_ms" });
  await t.rejects(collect(kuairandLog(join(dir, "empty.csv"), RULES)), { name: "DatasetRowError", message: /empty file/ });
});
