import { uniformAt, type SyntheticUser, type SyntheticVideo, type SyntheticWorld } from "../models/index.ts";

/** The simulated viewer's behaviour parameters (config `simulate`). */
export interface UserModelParams {
  seed: number;
  thinkTimeMs: number;
  maxItemsPerSession: number;
  leaveBase: number;
  leaveBoredom: number;
  returnProbability: number;
  returnDelayMs: number;
  sessionsPerUser: number;
  qualitySigma: number;
  likeRate: number;
}

/** What a viewer does with one served video. */
export interface Reaction {
  watchRatio: number;
  watchMs: number;
  skipped: boolean;
  liked: boolean;
  rewatched: boolean;
}

/**
 * A video's hidden quality multiplier (log-normal around 1): the ground truth a good recommender discovers.
 * Uploads may carry an explicit one (the viral-ladder scenarios).
 */
export function videoQuality(seed: number, videoId: number, sigma: number): number {
  const u1 = Math.max(1e-12, uniformAt(seed, "quality", videoId, 0));
  const u2 = uniformAt(seed, "quality", videoId, 1);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(sigma * z - (sigma * sigma) / 2);
}

/**
 * The choice model. The watch ratio comes from the world's response fitted on KuaiRand (taste × duration),
 * scaled by the video's hidden quality and the viewer's boredom; under 3 s of a video that is not finished is
 * a fast skip; likes follow full watches; a ratio above 1 is a rewatch. Randomness is a pure function of
 * (seed, user, counter), so a run does not depend on event interleaving.
 */
export function react(world: SyntheticWorld, p: UserModelParams, user: SyntheticUser, video: SyntheticVideo, quality: number, boredom: number, counter: number): Reaction {
  const base = world.watchRatio(user, video, counter);
  const watchRatio = Math.min(3, base * quality * (1 - 0.5 * Math.min(1, boredom)));
  const watchMs = Math.round(watchRatio * video.durationMs);
  const skipped = watchMs < 3000 && watchRatio < 1;
  const liked = !skipped && watchRatio >= 1 && uniformAt(p.seed, "like" + user.userId, counter) < p.likeRate * quality;
  return { watchRatio, watchMs, skipped, liked, rewatched: watchRatio > 1.05 };
}

/** Boredom after a video: repeats of a category and skips bore, novelty and good videos refresh. */
export function nextBoredom(boredom: number, sameCategoryAsPrevious: boolean, r: Reaction): number {
  let b = boredom * 0.9;
  if (sameCategoryAsPrevious) b += 0.08;
  if (r.skipped) b += 0.06;
  if (r.watchRatio >= 1) b -= 0.05;
  return Math.min(1, Math.max(0, b));
}

/** Leave after this video? */
export function leaves(p: UserModelParams, user: number, counter: number, boredom: number, itemsThisSession: number): boolean {
  if (itemsThisSession >= p.maxItemsPerSession) return true;
  return uniformAt(p.seed, "leave" + user, counter) < p.leaveBase + p.leaveBoredom * boredom;
}

/** Come back later? Returns the delay, or -1 for never. */
export function returnDelay(p: UserModelParams, user: number, sessionsDone: number): number {
  if (sessionsDone >= p.sessionsPerUser) return -1;
  if (uniformAt(p.seed, "return" + user, sessionsDone, 0) >= p.returnProbability) return -1;
  return 1 + Math.floor(-Math.log(1 - uniformAt(p.seed, "return" + user, sessionsDone, 1)) * p.returnDelayMs);
}

export function thinkTime(p: UserModelParams, user: number, counter: number): number {
  return 1 + Math.floor(-Math.log(1 - uniformAt(p.seed, "think" + user, counter)) * p.thinkTimeMs);
}
