import { assertNever, type CoordMsg, type IntegrityEngagements } from "../../protocols/index.ts";
import { detectFarms, type EngagementEvent } from "../../models/index.ts";
import { defineActor, type ActorContext } from "../actor-behavior.ts";
import { feedServices } from "../services/feed-services.ts";

export interface IntegrityState {
  /** Recent strong engagements (bounded by the farm window). */
  events: EngagementEvent[];
  flaggedSessions: string[];
  flaggedVideos: number[];
  /** Detected groups, for reports: size and videos. */
  farms: { sessions: number; videos: number[]; at: number }[];
  botSignals: number;
}

const EVENTS_MAX = 200_000;

/**
 * coord/integrity: flags bot-like sessions (signalled by the sessions themselves) and coordinated groups
 * (many distinct sessions completing the same videos within short windows, repeatedly); flagged videos are
 * demoted in every node's feeds and flagged sessions' events down-weighted.
 */
export const integrityCoordinator = defineActor<IntegrityState, CoordMsg>({
  kind: "coord",
  initialState: () => ({ events: [], flaggedSessions: [], flaggedVideos: [], farms: [], botSignals: 0 }),
  receive(ctx, msg): unknown {
    const s = ctx.state;
    const f = feedServices(ctx.services);
    switch (msg.type) {
      case "integrity.signal":
        s.botSignals++;
        if (msg.subject.startsWith("session/") && !s.flaggedSessions.includes(msg.subject)) {
          s.flaggedSessions.push(msg.subject);
          f.readModels.publish({ type: "flag.session", sessionKey: msg.subject, reason: msg.signal });
        }
        return undefined;
      case "integrity.engagements":
        onEngagements(ctx, msg);
        return undefined;
      case "coord.get-state":
        return { flaggedSessions: s.flaggedSessions.length, flaggedVideos: [...s.flaggedVideos], farms: s.farms, botSignals: s.botSignals };
      case "coord.tick":
      case "viral.stage-result":
      case "viral.new-video":
      case "model.trained":
      case "homog.summary":
        return undefined;
      default:
        return assertNever(msg, "integrity message");
    }
  },
});

function onEngagements(ctx: ActorContext<IntegrityState, CoordMsg>, m: IntegrityEngagements): void {
  const s = ctx.state;
  const f = feedServices(ctx.services);
  const cfg = f.farmDetector;
  if (cfg === undefined) return;
  for (let i = 0; i < m.videos.length; i++) s.events.push({ session: m.sessions[i]!, video: m.videos[i]!, t: m.times[i]! });
  const horizon = ctx.clock.now() - f.integrity.farmWindowMs;
  let drop = 0;
  while (drop < s.events.length && s.events[drop]!.t < horizon) drop++;
  if (drop > 0 || s.events.length > EVENTS_MAX) s.events.splice(0, Math.max(drop, s.events.length - EVENTS_MAX));
  // Videos many already-flagged sessions keep completing are what those sessions were farming.
  const flagged = new Set(s.flaggedSessions);
  const byVideo = new Map<number, Set<string>>();
  for (const e of flagged.size > 0 ? s.events : []) {
    if (!flagged.has(e.session)) continue;
    let set = byVideo.get(e.video);
    if (set === undefined) byVideo.set(e.video, (set = new Set()));
    set.add(e.session);
  }
  for (const [video, sessions] of byVideo) {
    if (sessions.size < cfg.minSessions || s.flaggedVideos.includes(video)) continue;
    s.flaggedVideos.push(video);
    s.farms.push({ sessions: sessions.size, videos: [video], at: ctx.clock.now() });
    f.readModels.publish({ type: "flag.video", videoId: video, reason: "engaged by flagged sessions" });
  }
  const groups = detectFarms(s.events, cfg);
  for (const g of groups) {
    const fresh = g.sessions.filter((x) => !s.flaggedSessions.includes(x));
    if (fresh.length === 0) continue;
    s.farms.push({ sessions: g.sessions.length, videos: g.videos, at: ctx.clock.now() });
    for (const sess of fresh) {
      s.flaggedSessions.push(sess);
      f.readModels.publish({ type: "flag.session", sessionKey: sess, reason: "coordinated" });
    }
    for (const v of g.videos) {
      if (s.flaggedVideos.includes(v)) continue;
      s.flaggedVideos.push(v);
      f.readModels.publish({ type: "flag.video", videoId: v, reason: "farm" });
    }
  }
}
