import { assertNever, type CoordMsg, type IntegrityEngagements } from "../../protocols/index.ts";
import { detectFarms, type EngagementEvent, type FarmDetectorConfig } from "../../models/index.ts";
import { defineActor, type ActorContext } from "../actor-behavior.ts";
import { feedServices } from "../services/feed-services.ts";
import { endsRound } from "./coordinator-kind.ts";

export interface IntegrityState {
  /** Recent strong engagements (bounded by the farm window). */
  events: EngagementEvent[];
  flaggedSessions: string[];
  flaggedVideos: number[];
  /** Detected groups, for reports: size and videos. */
  farms: { sessions: number; videos: number[]; at: number }[];
  botSignals: number;
  /** The nodes a detection pass waits for, and those whose batch came in since the last pass (see `endsRound`). */
  nodes: string[];
  reported: string[];
  /** Detection passes run (one per round of node reports, not one per report). */
  detections: number;
  /** Set once batches arrived out of time order (several nodes): expiry then filters the whole window. */
  unordered: boolean;
}

const initialState = (): IntegrityState => ({ events: [], flaggedSessions: [], flaggedVideos: [], farms: [], botSignals: 0, nodes: [], reported: [], detections: 0, unordered: false });

const EVENTS_MAX = 200_000;

/**
 * coord/integrity: flags bot-like sessions (signalled by the sessions themselves) and coordinated groups
 * (many distinct sessions completing the same videos within short windows, repeatedly); flagged videos are
 * demoted in every node's feeds and flagged sessions' events down-weighted.
 */
export const integrityCoordinator = defineActor<IntegrityState, CoordMsg>({
  kind: "coord",
  initialState,
  // a state saved before a field existed gets that field's initial value
  restore: (data) => ({ ...initialState(), ...(data as Partial<IntegrityState>) }),
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
        return { flaggedSessions: s.flaggedSessions.length, flaggedVideos: [...s.flaggedVideos], farms: s.farms, botSignals: s.botSignals, detections: s.detections };
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

/**
 * A node's batch of engagements (sent at each of its aggregator flushes). The batch joins the window at
 * once; a detection pass over the window runs when every node that has reported so far has a batch in
 * since the last pass, or when a node sends its second batch since then (a node with nothing to send does
 * not hold the others up for more than one flush interval). One node: a pass per batch. N nodes: a pass
 * per round of flushes, not N passes over the same window.
 */
function onEngagements(ctx: ActorContext<IntegrityState, CoordMsg>, m: IntegrityEngagements): void {
  const s = ctx.state;
  const f = feedServices(ctx.services);
  const cfg = f.farmDetector;
  if (cfg === undefined) return;
  let ordered = true;
  let last = s.events.length > 0 ? s.events[s.events.length - 1]!.t : -Infinity;
  for (let i = 0; i < m.videos.length; i++) {
    const t = m.times[i]!;
    if (t < last) ordered = false;
    last = t;
    s.events.push({ session: m.sessions[i]!, video: m.videos[i]!, t });
  }
  if (!ordered) s.unordered = true;
  const horizon = ctx.clock.now() - f.integrity.farmWindowMs;
  if (s.unordered) {
    // batches from several nodes interleave in time: an expired event can sit behind a newer one
    s.events = s.events.filter((e) => e.t >= horizon);
    if (s.events.length > EVENTS_MAX) s.events.splice(0, s.events.length - EVENTS_MAX);
  } else {
    let drop = 0;
    while (drop < s.events.length && s.events[drop]!.t < horizon) drop++;
    if (drop > 0 || s.events.length > EVENTS_MAX) s.events.splice(0, Math.max(drop, s.events.length - EVENTS_MAX));
  }
  if (!endsRound(s.nodes, s.reported, m.node)) return;
  s.detections++;
  detect(ctx, cfg);
}

/** A detection pass over the window: videos farmed by flagged sessions, then coordinated groups. */
function detect(ctx: ActorContext<IntegrityState, CoordMsg>, cfg: FarmDetectorConfig): void {
  const s = ctx.state;
  const f = feedServices(ctx.services);
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
