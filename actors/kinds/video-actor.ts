import { assertNever, type VideoMsg, type VideoStats, type ViralStageResult } from "../../protocols/index.ts";
import { defineActor } from "../actor-behavior.ts";
import { feedServices, videoNumber, type FeedServices } from "../services/feed-services.ts";

interface StageCounters {
  impressions: number;
  watches: number;
  watchRatioSum: number;
  completions: number;
  skips: number;
}

export interface VideoState {
  /** -1 regular catalog video, 0..n-1 on the viral ladder, n graduated, -2 retired. */
  stage: number;
  impressions: number;
  watchMs: number;
  completions: number;
  skips: number;
  likes: number;
  rewatches: number;
  authorId: string;
  durationMs: number;
  category: number;
  /** Set by an upload that carried them (absent otherwise: catalog videos keep no text). */
  title?: string;
  tags?: string[];
  /** Counters per ladder stage, and which stages were already reported to the viral coordinator. */
  stages: StageCounters[];
  reported: number[];
}

export const RETIRED = -2;

/**
 * A video: its performance counters (fed by per-node aggregated flushes) and its place on the viral
 * ladder. When a stage's impressions reach the stage budget it reports the stage's means once; the viral
 * coordinator decides promotion against the cohort baselines.
 */
export const videoActor = defineActor<VideoState, VideoMsg>({
  kind: "video",
  initialState: () => ({
    stage: -1, impressions: 0, watchMs: 0, completions: 0, skips: 0, likes: 0, rewatches: 0,
    authorId: "", durationMs: 0, category: -1, stages: [], reported: [],
  }),
  receive(ctx, msg): VideoStats | undefined {
    const s = ctx.state;
    switch (msg.type) {
      case "video.upload":
        s.authorId = msg.authorId;
        s.durationMs = msg.durationMs;
        s.category = msg.category;
        if (msg.title !== undefined) s.title = msg.title;
        if (msg.tags !== undefined) s.tags = [...msg.tags];
        ctx.tell("coord/viral", { type: "viral.new-video", videoId: ctx.key, category: msg.category, at: msg.at });
        return undefined;
      case "video.watch":
        s.impressions++;
        s.watchMs += msg.watchMs;
        if (msg.watchMs >= msg.durationMs) s.completions++;
        if (msg.watchMs < Math.min(3000, msg.durationMs * 0.2)) s.skips++;
        return undefined;
      case "video.engagement": {
        s.impressions += msg.impressions;
        s.watchMs += msg.watchMs;
        s.completions += msg.completions;
        s.skips += msg.skips;
        s.likes += msg.likes;
        s.rewatches += msg.rewatches;
        if (msg.stage >= 0) {
          const st = (s.stages[msg.stage] ??= { impressions: 0, watches: 0, watchRatioSum: 0, completions: 0, skips: 0 });
          st.impressions += msg.impressions;
          st.watches += msg.watches;
          st.watchRatioSum += msg.watchRatioSum;
          st.completions += msg.completions;
          st.skips += msg.skips;
          const budget = feedServices(ctx.services).viral.stageBudgets[msg.stage];
          if (budget !== undefined && st.impressions >= budget && !s.reported.includes(msg.stage) && s.stage === msg.stage) {
            s.reported.push(msg.stage);
            // rates per watch, like the cohort baselines (served items a viewer never reached are not skips)
            const n = Math.max(1, st.watches);
            const r: ViralStageResult = {
              type: "viral.stage-result", videoId: ctx.key, stage: msg.stage, category: categoryOf(ctx, s),
              impressions: st.impressions, watchRatio: st.watchRatioSum / n, completion: st.completions / n, skipRate: st.skips / n,
            };
            ctx.tell("coord/viral", r);
          }
        }
        return undefined;
      }
      case "video.set-stage":
        s.stage = msg.stage;
        return undefined;
      case "video.get-stats": {
        // a catalog video never received an upload: what it is comes from the node's catalog
        const known = s.category >= 0 ? undefined : catalogEntry(ctx);
        return {
          videoId: ctx.key, stage: s.stage, impressions: s.impressions, watchMs: s.watchMs,
          completions: s.completions, skips: s.skips, likes: s.likes, rewatches: s.rewatches,
          title: s.title ?? "", tags: s.tags ?? [],
          category: s.category >= 0 ? s.category : known?.category ?? -1,
          durationMs: s.category >= 0 ? s.durationMs : known?.durationMs ?? 0,
        };
      }
      default:
        return assertNever(msg, "video message");
    }
  },
});

/** The node's catalog entry of a video actor's key (undefined for ids the catalog does not number, or on a node without feed services). */
function catalogEntry(ctx: { services: Record<string, unknown>; key: string }): { category: number; durationMs: number } | undefined {
  return (ctx.services.feed as FeedServices | undefined)?.catalog.get(videoNumber(ctx.key));
}

/** The category from the upload, else from the node's catalog. */
function categoryOf(ctx: { services: Record<string, unknown>; key: string }, s: VideoState): number {
  if (s.category >= 0) return s.category;
  return catalogEntry(ctx)?.category ?? 0;
}

