import { assertNever, actorId, type SessionMsg, type VideoWatch } from "../../protocols/index.ts";
import { uniformAt } from "../../models/index.ts";
import { defineActor } from "../actor-behavior.ts";

/** Parameters of the placeholder simulation, shared by all session actors through `services.sim`. */
export interface SimParams {
  seed: number;
  videos: number;
  watchesPerSession: number;
  thinkTimeMs: number;
  /** Called once per session that left (progress counting). */
  onLeave?: () => void;
}

export interface SimSessionState {
  started: number;
  step: number;
  watches: number;
  watchMs: number;
  left: boolean;
}

/** Deterministic video duration (5–60 s) from its index. */
export function simDurationMs(videoIndex: number, seed: number): number {
  return 5000 + Math.floor(uniformAt(seed, "dur", videoIndex) * 55_000);
}

/**
 * A simulated viewer: every think time it watches a popular-skewed random video and tells the video;
 * after `watchesPerSession` it leaves and passivates. Randomness is a pure function of (seed, key, step),
 * so passivation and re-activation do not change the run.
 */
export const simSessionActor = defineActor<SimSessionState, SessionMsg>({
  kind: "session",
  initialState: () => ({ started: -1, step: 0, watches: 0, watchMs: 0, left: false }),
  receive(ctx, msg) {
    const p = ctx.services.sim as SimParams;
    const s = ctx.state;
    switch (msg.type) {
      case "session.start":
        s.started = msg.at;
        ctx.setTimer("tick", Math.ceil(uniformAt(p.seed, ctx.key, s.step, 9) * p.thinkTimeMs), { type: "session.tick" });
        return;
      case "session.tick": {
        if (s.left) return;
        const u = uniformAt(p.seed, ctx.key, s.step, 1);
        // popularity skew: low indexes are watched more
        const video = Math.min(p.videos - 1, Math.floor(p.videos * u * u));
        const durationMs = simDurationMs(video, p.seed);
        const ratio = uniformAt(p.seed, ctx.key, s.step, 2);
        const watchMs = Math.round(durationMs * Math.min(1, ratio * 1.2));
        const now = ctx.clock.now();
        const w: VideoWatch = { type: "video.watch", sessionKey: ctx.key, watchMs, durationMs, at: now };
        ctx.tell(actorId("video", "v" + video), w);
        s.watches++;
        s.watchMs += watchMs;
        s.step++;
        if (s.watches >= p.watchesPerSession) {
          s.left = true;
          p.onLeave?.();
          ctx.passivate();
          return;
        }
        const think = 1 + Math.floor(-Math.log(1 - uniformAt(p.seed, ctx.key, s.step, 3)) * p.thinkTimeMs);
        ctx.setTimer("tick", watchMs + think, { type: "session.tick" });
        return;
      }
      case "session.leave":
        s.left = true;
        ctx.cancelTimer("tick");
        ctx.passivate();
        return;
      case "session.get-state":
        return { ...s };
      case "feed.request":
      case "session.watch":
      case "session.skip":
      case "session.like":
      case "session.rewatch":
      case "session.share":
      case "session.impression":
        // The feed pipeline arrives with the recommender; the placeholder simulation does not use these.
        return;
      default:
        return assertNever(msg, "session message");
    }
  },
});
