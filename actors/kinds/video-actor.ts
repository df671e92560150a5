import { assertNever, type VideoMsg, type VideoStats } from "../../protocols/index.ts";
import { defineActor } from "../actor-behavior.ts";

export interface VideoState {
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
}

/** A video's performance counters and its stage on the viral ladder. */
export const videoActor = defineActor<VideoState, VideoMsg>({
  kind: "video",
  initialState: () => ({
    stage: 0, impressions: 0, watchMs: 0, completions: 0, skips: 0, likes: 0, rewatches: 0,
    authorId: "", durationMs: 0, category: -1,
  }),
  receive(ctx, msg): VideoStats | undefined {
    const s = ctx.state;
    switch (msg.type) {
      case "video.upload":
        s.authorId = msg.authorId;
        s.durationMs = msg.durationMs;
        s.category = msg.category;
        s.stage = 0;
        return undefined;
      case "video.watch":
        s.impressions++;
        s.watchMs += msg.watchMs;
        if (msg.watchMs >= msg.durationMs) s.completions++;
        if (msg.watchMs < Math.min(3000, msg.durationMs * 0.2)) s.skips++;
        return undefined;
      case "video.engagement":
        s.impressions += msg.impressions;
        s.watchMs += msg.watchMs;
        s.completions += msg.completions;
        s.skips += msg.skips;
        s.likes += msg.likes;
        s.rewatches += msg.rewatches;
        return undefined;
      case "video.set-stage":
        s.stage = msg.stage;
        return undefined;
      case "video.get-stats":
        return {
          videoId: ctx.key, stage: s.stage, impressions: s.impressions, watchMs: s.watchMs,
          completions: s.completions, skips: s.skips, likes: s.likes, rewatches: s.rewatches,
        };
      default:
        return assertNever(msg, "video message");
    }
  },
});
