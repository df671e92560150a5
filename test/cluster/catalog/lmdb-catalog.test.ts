import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LmdbCatalog } from "../../../cluster/index.ts";
import { computeStats, importDataset, openDataset, type ImportSummary } from "../../../models/index.ts";
import { RULES, tempFiles } from "../../helpers/datasets.ts";

const HEADER = "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,is_profile_enter,is_rand,tab";
const row = (u: number, v: number, time: number, play: number, dur: number) => `${u},${v},20220425,0,${time},1,0,0,0,0,0,0,${play},${dur},0,0,0,0,1`;

function tinyKuaiRand(): string {
  return tempFiles({
    "log_standard_tiny.csv": [HEADER, row(1, 10, 1000, 5000, 10000), row(2, 11, 2000, 1000, 0), row(1, 11, 3000, 20000, 10000),
      row(1, 11, 3000, 20000, 10000), row(1, 10, 9_000_000, 500, 10000)].join("\n") + "\n",
    "log_random_tiny.csv": [HEADER, row(2, 10, 1500, 12000, 10000)].join("\n") + "\n",
    "user_features_tiny.csv": "user_id,user_active_degree\n1,full_active\n2,UNKNOWN\n",
    "video_features_basic_tiny.csv": "video_id,author_id,video_type,upload_dt,video_duration,tag\n10,5,NORMAL,2022-04-10,10000.0,\"3,4\"\n11,6,NORMAL,2022-04-10,,7\n",
  });
}

t.test("lmdb catalog - import, ranges by user and time, stats, re-import replaces", async (t) => {
  const dir = tinyKuaiRand();
  const path = mkdtempSync(join(tmpdir(), "fyp-catalog-"));
  t.teardown(() => rmSync(path, { recursive: true, force: true }));
  let cat = new LmdbCatalog(path, "kuairand", { noSync: true });
  const summary = await importDataset(openDataset("kuairand", dir, { rules: RULES }), cat);
  t.same(summary.counts, { videos: 2, users: 2, interactions: 5 });
  t.equal(summary.interactions["duplicates"], 1);
  t.same(summary.unjoined, { users: 0, videos: 0, userIds: [], videoIds: [] });
  await cat.close();

  cat = new LmdbCatalog(path, "kuairand");
  t.match(cat.getVideo(10), { videoId: 10, tags: [3, 4], category: 3, durationMs: 10000, authorId: 5 });
  t.equal(cat.getVideo(11)!.durationMs, undefined);
  t.same(cat.getUser(2), { userId: 2 });
  t.same([...cat.interactionsOf(1)].map((i) => i.timeMs), [1000, 3000, 9_000_000]);
  t.same([...cat.interactionsOf(1, 2000, 9_000_000)].map((i) => i.timeMs), [3000]);
  // The standard and random logs are merged in time order before sessions are cut (gap 30 min).
  t.same([...cat.interactionsOf(2)].map((i) => [i.timeMs, i.session]), [
    [1500, { session: 0, position: 0, continues: true }],
    [2000, { session: 0, position: 1, continues: false }],
  ]);
  t.same([...cat.interactionsOf(1)].map((i) => i.session!.continues), [true, false, false]);
  const stats = computeStats(cat);
  t.same(stats.counts, { videos: 2, users: 2, interactions: 5, usersWithInteractions: 2, videosWithInteractions: 2 });
  t.equal(stats.labels.complete.known, 4, "the duration-0 row has no completion label");
  t.equal(stats.sessions.count, 3);
  t.equal(cat.getMeta<ImportSummary>("import")!.interactions["rows"], 6);
  await importDataset(openDataset("kuairand", dir, { rules: RULES, interactionFiles: ["log_random_tiny.csv"] }), cat);
  t.same(cat.counts(), { videos: 2, users: 2, interactions: 1 }, "a re-import replaces the dataset");
  await cat.close();
});
