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
 * A catalog video never on the ladder shares these (frozen) instead of two arrays of its own: ~100k video
 * actors live on a serving node, and every object of theirs is marked at each major GC.
 */
const NO_STAGES = Object.freeze([]) as unknown as StageCounters[];
const NO_REPORTS = Object.freeze([]) as unknown as number[];

/**
 * `x` as a small integer when it is one (exact). A sum may arrive as a double even when integral (watch ms
 * summed in a Float64Array, a decoded message); stored as it is, V8 turns the field into a boxed double for
 * every video's state, an extra heap object per counter per video.
 */
function small(x: number): number {
  return (x | 0) === x ? x | 0 : x;
}

/**
 * A video: its performance counters (fed by per-node aggregated flushes) and its place on the viral
 * ladder. When a stage's impressions reach the stage budget it reports the stage's means once; the viral
 * coordinator decides promotion against the cohort baselines.
 */
export const videoActor = defineActor<VideoState, VideoMsg>({
  kind: "video",
  initialState: () => ({
    stage: -1, impressions: 0, watchMs: 0, completions: 0, skips: 0, likes: 0, rewatches: 0,
    authorId: "", durationMs: 0, category: -1, stages: NO_STAGES, reported: NO_REPORTS,
  }),
  snapshot: videoStateToTuple,
  restore: (data) => (Array.isArray(data) ? videoStateFromTuple(data as VideoTuple) : (data as VideoState)),
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
        s.watchMs = small(s.watchMs + msg.watchMs);
        if (msg.watchMs >= msg.durationMs) s.completions++;
        if (msg.watchMs < Math.min(3000, msg.durationMs * 0.2)) s.skips++;
        return undefined;
      case "video.engagement": {
        s.impressions = small(s.impressions + msg.impressions);
        s.watchMs = small(s.watchMs + msg.watchMs);
        s.completions = small(s.completions + msg.completions);
        s.skips = small(s.skips + msg.skips);
        s.likes = small(s.likes + msg.likes);
        s.rewatches = small(s.rewatches + msg.rewatches);
        if (msg.stage >= 0) {
          if (s.stages === NO_STAGES) s.stages = [];
          const st = (s.stages[msg.stage] ??= { impressions: 0, watches: 0, watchRatioSum: 0, completions: 0, skips: 0 });
          st.impressions += msg.impressions;
          st.watches += msg.watches;
          st.watchRatioSum += msg.watchRatioSum;
          st.completions += msg.completions;
          st.skips += msg.skips;
          const budget = feedServices(ctx.services).viral.stageBudgets[msg.stage];
          if (budget !== undefined && st.impressions >= budget && !s.reported.includes(msg.stage) && s.stage === msg.stage) {
            if (s.reported === NO_REPORTS) s.reported = [];
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


/**
 * A video's state as stored: a positional tuple. Video actors are passivated and re-activated every time
 * a quiet video gets an engagement flush (~20 times per simulated session); as an object each stored
 * state carried its keys (125 bytes for a catalog video) and cost ~7 us to encode and decode, as a
 * tuple 17 bytes and ~1.4 us. States stored as objects (before) are still read.
 */
type VideoTuple = [
  version: 1, stage: number, impressions: number, watchMs: number, completions: number, skips: number, likes: number, rewatches: number,
  authorId: string, durationMs: number, category: number,
  stages: ([impressions: number, watches: number, watchRatioSum: number, completions: number, skips: number] | null)[],
  reported: number[], title?: string | null, tags?: string[],
];

function videoStateToTuple(s: VideoState): VideoTuple {
  const t: VideoTuple = [
    1, s.stage, s.impressions, s.watchMs, s.completions, s.skips, s.likes, s.rewatches, s.authorId, s.durationMs, s.category,
    Array.from(s.stages, (st) => (st === undefined ? null : [st.impressions, st.watches, st.watchRatioSum, st.completions, st.skips])),
    s.reported,
  ];
  if (s.title !== undefined || s.tags !== undefined) t.push(s.title ?? null);
  if (s.tags !== undefined) t.push(s.tags);
  return t;
}

function videoStateFromTuple(t: VideoTuple): VideoState {
  const s: VideoState = {
    stage: t[1], impressions: t[2], watchMs: t[3], completions: t[4], skips: t[5], likes: t[6], rewatches: t[7],
    authorId: t[8], durationMs: t[9], category: t[10],
    stages: t[11].length === 0 ? NO_STAGES : t[11].map((st) => (st === null ? (undefined as unknown as StageCounters) : { impressions: st[0], watches: st[1], watchRatioSum: st[2], completions: st[3], skips: st[4] })),
    reported: t[12].length === 0 ? NO_REPORTS : t[12],
  };
  if (t[13] !== undefined && t[13] !== null) s.title = t[13];
  if (t[14] !== undefined) s.tags = t[14];
  return s;
}
