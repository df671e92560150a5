import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  kuairandLog, kuairecCaptions, kuairecMatrix, loadShippedParams, microlensPairsTsv, microlensTitles, SyntheticWorld,
} from "../../models/index.ts";
import { round, type Emit } from "../row.ts";

const DATASETS = process.env.FYP_DATASETS__DIR ?? fileURLToPath(new URL("../../../shared/datasets/", import.meta.url));
const RULES = { skipFastMs: 3000, rewatchRatio: 2, sessionGapMs: 1_800_000 };

/** Rows per second through one loader over a real file (the file's rows, good or bad, per wall second). */
async function rowsPerSec(open: () => AsyncIterable<unknown> & { report: { rows: number } }): Promise<{ value: number; rows: number }> {
  // One warm-up pass (JIT, page cache), then the measured pass.
  for await (const _ of open());
  const s = open();
  const t0 = performance.now();
  for await (const _ of s);
  return { value: s.report.rows / ((performance.now() - t0) / 1000), rows: s.report.rows };
}

/** `npm run --silent bench -- data`: loader throughput on the real samples and synthetic-world generation rates. */
export async function run(emit: Emit): Promise<void> {
  const loaders: [string, string, () => AsyncIterable<unknown> & { report: { rows: number } }][] = [
    ["data.kuairand_rows_per_s", "kuairand/log_standard_pure_20220425_to_20220505.csv", () => kuairandLog(join(DATASETS, "kuairand/log_standard_pure_20220425_to_20220505.csv"), RULES)],
    ["data.kuairec_caption_rows_per_s", "kuairec/kuairec_caption_category.csv", () => kuairecCaptions(join(DATASETS, "kuairec/kuairec_caption_category.csv"))],
    ["data.kuairec_matrix_rows_per_s", "kuairec/big_matrix_head100.csv", () => kuairecMatrix(join(DATASETS, "kuairec/big_matrix_head100.csv"), RULES)],
    ["data.microlens_pairs_rows_per_s", "microlens/MicroLens-50k_pairs.tsv", () => microlensPairsTsv(join(DATASETS, "microlens/MicroLens-50k_pairs.tsv"))],
    ["data.microlens_titles_rows_per_s", "microlens/MicroLens-50k_titles.csv", () => microlensTitles(join(DATASETS, "microlens/MicroLens-50k_titles.csv"))],
  ];
  for (const [name, file, open] of loaders) {
    const r = await rowsPerSec(open);
    emit({ name, value: round(r.value, 0), unit: "rows/s", config: { file, rows: r.rows } });
  }

  const world = new SyntheticWorld(loadShippedParams(), 42, 10_000_000, 1_000_000);
  const users = 200_000;
  let t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < users; i++) sink += world.user((i * 49_999) % 10_000_000).activity;
  emit({ name: "data.synthetic_users_per_s", value: round(users / ((performance.now() - t0) / 1000), 0), unit: "users/s", config: { users, worldUsers: 10_000_000, categories: world.params.categories.ids.length } });
  const videos = 1_000_000;
  t0 = performance.now();
  for (let j = 0; j < videos; j++) sink += world.video(j).durationMs;
  emit({ name: "data.synthetic_videos_per_s", value: round(videos / ((performance.now() - t0) / 1000), 0), unit: "videos/s", config: { videos } });
  const sample = 20_000;
  let n = 0;
  t0 = performance.now();
  for (let i = 0; i < sample; i++) for (const it of world.interactionsOf(i)) { n++; sink += it.watchRatio; }
  emit({ name: "data.synthetic_interactions_per_s", value: round(n / ((performance.now() - t0) / 1000), 0), unit: "interactions/s", config: { users: sample, interactions: n } });
  if (Number.isNaN(sink)) throw new Error("unreachable: keeps the loops from being optimised away");
}
