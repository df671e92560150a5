import type { Catalog } from "../catalog.ts";
import { ksDistance, spearman } from "./distributions.ts";
import type { SyntheticWorld } from "./synthetic-world.ts";

export interface WorldCheck {
  /** KS distance between the source's and the world's video durations. */
  durationKs: number;
  /** Spearman correlation of interactions per category, source vs world. */
  categorySpearman: number;
  sourceMeanWatchRatio: number;
  worldMeanWatchRatio: number;
  /** |world - source| / source. */
  watchRatioRelError: number;
  sampledUsers: number;
  sampledVideos: number;
  sampledInteractions: number;
}

/**
 * How well a generated world matches its source (issue 3 acceptance: KS <= 0.05, Spearman >= 0.9, mean
 * watch ratio within 5%), on `users` generated users and `videos` generated videos.
 */
export function checkWorld(source: Catalog, world: SyntheticWorld, opts: { users: number; videos: number }): WorldCheck {
  const srcDur: number[] = [];
  const catOf = new Map<number, number>();
  for (const v of source.videos()) {
    if (v.durationMs !== undefined) srcDur.push(v.durationMs);
    if (v.category !== undefined) catOf.set(v.videoId, v.category);
  }
  const ids = world.params.categories.ids;
  const idx = new Map(ids.map((c, i) => [c, i] as const));
  const srcCat = new Float64Array(ids.length);
  let wrSum = 0;
  let wrN = 0;
  for (const i of source.interactions()) {
    const c = catOf.get(i.videoId);
    if (c !== undefined && idx.has(c)) srcCat[idx.get(c)!]!++;
    if (i.labels.watchRatio !== null) {
      wrSum += i.labels.watchRatio;
      wrN++;
    }
  }
  const n = Math.min(opts.videos, world.videos);
  const genDur: number[] = [];
  for (let j = 0; j < n; j++) genDur.push(world.video(Math.floor((j * world.videos) / n)).durationMs);
  const genCat = new Float64Array(ids.length);
  let gSum = 0;
  let gN = 0;
  const users = Math.min(opts.users, world.users);
  for (let u = 0; u < users; u++) {
    for (const it of world.interactionsOf(Math.floor((u * world.users) / users))) {
      genCat[world.video(it.videoId).categoryIndex]!++;
      gSum += it.watchRatio;
      gN++;
    }
  }
  const src = wrN ? wrSum / wrN : 0;
  const gen = gN ? gSum / gN : 0;
  return {
    durationKs: ksDistance(srcDur, genDur),
    categorySpearman: spearman([...srcCat], [...genCat]),
    sourceMeanWatchRatio: src,
    worldMeanWatchRatio: gen,
    watchRatioRelError: src === 0 ? 0 : Math.abs(gen - src) / src,
    sampledUsers: users,
    sampledVideos: n,
    sampledInteractions: gN,
  };
}
