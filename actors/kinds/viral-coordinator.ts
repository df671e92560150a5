import { assertNever, hash32, type CohortBaselines, type CoordMsg, type ViralStageResult } from "../../protocols/index.ts";
import { coldStartScore } from "../../models/index.ts";
import { defineActor, type ActorContext } from "../actor-behavior.ts";
import { baselineFor } from "./cohort-actor.ts";
import { RETIRED } from "./video-actor.ts";
import { feedServices, videoNumber } from "../services/feed-services.ts";

export interface ViralState {
  /** Videos on the ladder: stage and the clock time each stage was reached. */
  videos: Record<string, { stage: number; reachedAt: number[]; category: number }>;
  /** How many videos reached each stage (index = stage; last = graduated). */
  reached: number[];
  retired: number;
  graduated: number;
  /** Sum and count of (time reached - upload time) per stage. */
  timeSum: number[];
  timeCount: number[];
  /** Recent decisions, for reports and tests (bounded). */
  log: { videoId: string; stage: number; score: number; decision: "promote" | "retire" | "graduate"; at: number }[];
}

export interface ViralSnapshot {
  reached: number[];
  retired: number;
  graduated: number;
  onLadder: number;
  /** Mean clock time from upload to reaching each stage (ms), over videos that reached it. */
  meanTimeToStageMs: number[];
  log: ViralState["log"];
}

/** The cohorts a video is tested in at a stage: a contiguous run from a per-video start (deterministic). */
export function stageCohorts(videoId: string, count: number, totalCohorts: number): string[] {
  const n = Math.min(count, totalCohorts);
  const start = hash32(videoId) % totalCohorts;
  return Array.from({ length: n }, (_, i) => "c" + ((start + i) % totalCohorts));
}

const LOG_MAX = 1000;

/**
 * coord/viral: the exposure ladder of new videos. A new video enters a stage-0 pool in one cohort; at each
 * stage's end its cold-start score against the cohorts' per-category baselines promotes it (next stage:
 * ~10x the impressions, more cohorts) or retires it.
 */
export const viralCoordinator = defineActor<ViralState, CoordMsg>({
  kind: "coord",
  initialState: () => ({ videos: {}, reached: [], retired: 0, graduated: 0, timeSum: [], timeCount: [], log: [] }),
  async receive(ctx, msg): Promise<ViralSnapshot | undefined> {
    const s = ctx.state;
    switch (msg.type) {
      case "viral.new-video": {
        if (s.videos[msg.videoId] !== undefined) return undefined;
        s.videos[msg.videoId] = { stage: 0, reachedAt: [ctx.clock.now()], category: msg.category };
        s.reached[0] = (s.reached[0] ?? 0) + 1;
        enterStage(ctx, msg.videoId, 0);
        return undefined;
      }
      case "viral.stage-result":
        await decide(ctx, msg);
        return undefined;
      case "coord.get-state":
        return snapshot(s);
      case "coord.tick":
      case "homog.summary":
      case "model.trained":
      case "integrity.signal":
      case "integrity.engagements":
        return undefined;
      default:
        return assertNever(msg, "viral coordinator message");
    }
  },
});

function enterStage(ctx: ActorContext<ViralState, CoordMsg>, videoId: string, stage: number): void {
  const f = feedServices(ctx.services);
  const cohorts = stageCohorts(videoId, f.viral.stageCohorts[stage] ?? f.cohorts, f.cohorts);
  // a stage's budget is spread over its cohorts
  const budget = Math.ceil((f.viral.stageBudgets[stage] ?? 0) / cohorts.length);
  f.readModels.publish({ type: "pool.add", videoId: videoNumber(videoId), cohorts, budget, stage, at: ctx.clock.now() });
  ctx.tell("video/" + videoId, { type: "video.set-stage", stage });
}

async function decide(ctx: ActorContext<ViralState, CoordMsg>, r: ViralStageResult): Promise<void> {
  const s = ctx.state;
  const v = s.videos[r.videoId];
  if (v === undefined || v.stage !== r.stage) return; // stale or duplicate report
  const f = feedServices(ctx.services);
  const cohorts = stageCohorts(r.videoId, f.viral.stageCohorts[r.stage] ?? f.cohorts, f.cohorts);
  const baselines = await Promise.all(cohorts.map((c) => ctx.ask<CohortBaselines>("cohort/" + c, { type: "cohort.get-baselines" })));
  const per = baselines.map((b) => baselineFor(b, r.category));
  const mean = (k: "watchRatio" | "completion" | "skipRate") => per.reduce((a, x) => a + x[k], 0) / per.length;
  // watch time enters as the watch ratio: duration-aware, comparable across videos of one category
  const score = coldStartScore(
    { watchTime: r.watchRatio, completion: r.completion, skipRate: r.skipRate },
    { watchTime: mean("watchRatio"), completion: mean("completion"), skipRate: mean("skipRate") },
    f.viral.weights,
  );
  const now = ctx.clock.now();
  const threshold = f.viral.promoteAt[r.stage] ?? Infinity;
  const last = f.viral.stageBudgets.length - 1;
  let decision: "promote" | "retire" | "graduate";
  if (score < threshold) {
    decision = "retire";
    v.stage = RETIRED;
    s.retired++;
    f.readModels.publish({ type: "pool.remove", videoId: videoNumber(r.videoId), stage: r.stage });
    ctx.tell("video/" + r.videoId, { type: "video.set-stage", stage: RETIRED });
    delete s.videos[r.videoId];
  } else if (r.stage >= last) {
    decision = "graduate";
    s.graduated++;
    s.reached[r.stage + 1] = (s.reached[r.stage + 1] ?? 0) + 1;
    addTime(s, r.stage + 1, now - v.reachedAt[0]!);
    f.readModels.publish({ type: "pool.remove", videoId: videoNumber(r.videoId), stage: r.stage });
    ctx.tell("video/" + r.videoId, { type: "video.set-stage", stage: r.stage + 1 });
    delete s.videos[r.videoId];
  } else {
    decision = "promote";
    v.stage = r.stage + 1;
    v.reachedAt.push(now);
    s.reached[v.stage] = (s.reached[v.stage] ?? 0) + 1;
    addTime(s, v.stage, now - v.reachedAt[0]!);
    enterStage(ctx, r.videoId, v.stage);
  }
  s.log.push({ videoId: r.videoId, stage: r.stage, score: Math.round(score * 1000) / 1000, decision, at: now });
  if (s.log.length > LOG_MAX) s.log.splice(0, s.log.length - LOG_MAX);
  ctx.log.debug({ videoId: r.videoId, stage: r.stage, score, decision }, "viral decision");
}

function addTime(s: ViralState, stage: number, ms: number): void {
  s.timeSum[stage] = (s.timeSum[stage] ?? 0) + ms;
  s.timeCount[stage] = (s.timeCount[stage] ?? 0) + 1;
}

function snapshot(s: ViralState): ViralSnapshot {
  return {
    reached: [...s.reached],
    retired: s.retired,
    graduated: s.graduated,
    onLadder: Object.keys(s.videos).length,
    meanTimeToStageMs: s.reached.map((_, i) => (i === 0 ? 0 : Math.round((s.timeSum[i] ?? 0) / Math.max(1, s.timeCount[i] ?? 0)))),
    log: s.log.slice(-50),
  };
}
