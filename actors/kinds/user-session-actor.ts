import { InvalidArgumentError, assertNever, actorId, hash32, type FeedItem, type FeedReply, type SessionMsg } from "../../protocols/index.ts";
import {
  ExploredContexts, SessionSignals, applyWatch, intraListDiversity, newSessionModel, sessionModelFromPlain, sessionModelToPlain,
  type FeedVideo, type ServedItem, type SessionModel, type SessionSignalsState,
} from "../../models/index.ts";
import { defineActor, type ActorContext } from "../actor-behavior.ts";
import { feedServices, videoKey, videoNumber, type FeedServices } from "../services/feed-services.ts";

export interface UserSessionState {
  model: SessionModel;
  cohort: string;
  joined: boolean;
  /** Bot-likeness signals: live, or as persisted until the next event needs them (the window is config). */
  signals: SessionSignals | SessionSignalsState | null;
  /** Flagged as bot-like: its events still count for its own interests, barely for anyone else. */
  suspect: boolean;
  /** Bandit contexts of served exploration items not watched yet, oldest first (bounded). */
  explored: ExploredContexts;
}

/** What the store holds (plain data). */
interface StoredSessionState {
  model: ReturnType<typeof sessionModelToPlain> | undefined;
  cohort: string;
  joined: boolean;
  signals: SessionSignalsState | null;
  suspect: boolean;
  /** Flat records `[videoId, n, x_0 .. x_n-1]`, oldest first. */
  explored: number[];
}

/** Weight of a suspect session's events in shared counters (trending, quality). */
const SUSPECT_WEIGHT = 0.1;
const EXPLORED_MAX = 64;

export function cohortOf(userKey: string, cohorts: number): string {
  return "c" + (hash32(userKey) % cohorts);
}

/**
 * user-session: owns the user's interests (short/long term, recent sequence), seen window, fatigue, bandit
 * contexts and integrity signals; runs the feed pipeline on `feed.request` and learns from every event.
 */
export const userSessionActor = defineActor<UserSessionState, SessionMsg>({
  kind: "session",
  initialState: () => ({ model: undefined as unknown as SessionModel, cohort: "", joined: false, signals: null, suspect: false, explored: new ExploredContexts(EXPLORED_MAX) }),
  snapshot(s): StoredSessionState {
    const sig = s.signals;
    return {
      ...s, model: s.model === undefined ? undefined : sessionModelToPlain(s.model), signals: sig instanceof SessionSignals ? sig.toState() : sig,
      explored: s.explored.toArray(),
    };
  },
  restore(data): UserSessionState {
    const d = data as StoredSessionState;
    return {
      ...d,
      model: d.model === undefined ? (undefined as unknown as SessionModel) : sessionModelFromPlain(d.model),
      signals: d.signals ?? null,
      // older states kept an object per video id
      explored: ExploredContexts.fromArray(Array.isArray(d.explored) ? d.explored : [], EXPLORED_MAX),
    };
  },
  // Not async: only a feed returns a promise; events are handled synchronously (an async handler costs a
  // promise, a microtask and a busy round trip through the dispatcher for every watch).
  receive(ctx, msg): unknown {
    const f = feedServices(ctx.services);
    const s = ctx.state;
    if (s.model === undefined) s.model = newSessionModel(f.session);
    if (s.cohort === "") s.cohort = cohortOf(ctx.key, f.cohorts);
    if (!s.joined) {
      s.joined = true;
      ctx.tell(actorId("cohort", s.cohort), { type: "cohort.join", userKey: ctx.key });
    }
    switch (msg.type) {
      case "session.start":
        if (msg.cohort !== undefined && msg.cohort !== s.cohort) s.cohort = msg.cohort;
        return undefined;
      case "feed.request":
        return serveFeed(ctx, f, msg.count, msg.at);
      case "session.watch":
        onWatch(ctx, f, msg.videoId, msg.watchMs, msg.at, false);
        return undefined;
      case "session.skip":
        onWatch(ctx, f, msg.videoId, msg.watchMs, msg.at, true);
        return undefined;
      case "session.like":
      case "session.share": {
        const v = video(f, msg.videoId);
        s.model.likes++;
        s.model.long[v.category] = (s.model.long[v.category] ?? 0) + 0.5;
        f.aggregator.recordReaction(v.id, "like");
        return undefined;
      }
      case "session.rewatch": {
        const v = video(f, msg.videoId);
        s.model.long[v.category] = (s.model.long[v.category] ?? 0) + 0.5;
        f.aggregator.recordReaction(v.id, "rewatch");
        return undefined;
      }
      case "session.impression":
        // Served items are counted as impressions when served; explicit impressions add nothing more.
        return undefined;
      case "session.leave":
        // exploration items served but never watched will get no reward: do not carry their contexts
        s.explored.clear();
        ctx.passivate();
        return undefined;
      case "session.get-state":
        return {
          cohort: s.cohort, served: s.model.served, feeds: s.model.feeds, watches: s.model.watches, skips: s.model.skips,
          likes: s.model.likes, watchMs: s.model.watchMs, fatigue: s.model.fatigue, suspect: s.suspect,
        };
      case "session.tick":
        return undefined;
      default:
        return assertNever(msg, "session message");
    }
  },
});

function video(f: FeedServices, videoId: string): FeedVideo {
  const v = f.catalog.get(videoNumber(videoId));
  if (v === undefined) throw new InvalidArgumentError("videoId", "is not a video of this catalog", videoId);
  return v;
}

async function serveFeed(ctx: ActorContext<UserSessionState, SessionMsg>, f: FeedServices, count: number, at: number): Promise<FeedReply> {
  const s = ctx.state;
  const nowMs = ctx.clock.kind === "virtual" ? ctx.clock.now() : at || ctx.clock.now();
  const { items, modelVersion } = await f.pipeline.feed(s.model, { count: count > 0 ? count : f.feedSize, nowMs, cohort: s.cohort });
  const vectors: Float32Array[] = [];
  const served: { videoId: number; category: number }[] = [];
  for (const it of items) {
    const v = f.catalog.get(it.videoId)!;
    vectors.push(v.vector);
    served.push({ videoId: it.videoId, category: v.category });
    if (it.exploration && f.bandit !== undefined) rememberExplored(s, it, f);
  }
  f.aggregator.recordServed(served, intraListDiversity(vectors));
  const out: FeedItem[] = items.map((it) => ({
    videoId: videoKey(it.videoId),
    score: it.score,
    reason: it.reason,
    modelVersion,
    predictions: it.predictions,
  }));
  return { items: out, modelVersion };
}

function rememberExplored(s: UserSessionState, it: ServedItem, f: FeedServices): void {
  const v = f.catalog.get(it.videoId)!;
  const x = f.bandit!.features({ id: v.id, category: v.category, authorId: v.authorId, vector: v.vector, source: it.source, score: it.score, predictions: it.predictions });
  s.explored.add(it.videoId, x);
}



function onWatch(ctx: ActorContext<UserSessionState, SessionMsg>, f: FeedServices, videoId: string, watchMs: number, at: number, skip: boolean): void {
  const s = ctx.state;
  const v = video(f, videoId);
  const now = ctx.clock.kind === "virtual" ? ctx.clock.now() : at || ctx.clock.now();
  const watchRatio = Math.max(0, watchMs) / Math.max(1, v.durationMs);
  const skipped = skip || (watchMs < 3000 && watchRatio < 1);
  const weight = applyWatch(s.model, f.session, v, skipped ? Math.min(watchRatio, 0.1) : watchRatio, now);
  const bot = f.botDetector;
  if (bot !== undefined && !s.suspect) {
    let sig = s.signals;
    if (sig === null) {
      // the first event's ring holds burstEvents + 1; from then on the restored ring holds 64, as when the
      // signals went through their plain state after every event
      sig = new SessionSignals(bot.burstWindowMs, bot.burstEvents + 1);
      sig.record(now, watchRatio);
      s.signals = sig = SessionSignals.fromState(sig.toState(), bot.burstWindowMs);
    } else {
      if (!(sig instanceof SessionSignals)) s.signals = sig = SessionSignals.fromState(sig, bot.burstWindowMs);
      sig.record(now, watchRatio);
    }
    const verdict = sig.verdict(bot);
    if (verdict.bot) {
      s.suspect = true;
      ctx.tell("coord/integrity", { type: "integrity.signal", subject: ctx.id, signal: verdict.signals.join("+"), weight: 1, at: now });
    }
  }
  if (weight > 0) f.coEngagement.addEngagement(v.id, s.model.recent, 1);
  if (s.explored.size > 0 && f.bandit !== undefined) {
    const x = s.explored.take(v.id);
    if (x !== undefined) f.bandit.update(x, Math.min(1, watchRatio));
  }
  const shared = s.suspect || f.readModels.flaggedSessions.has(ctx.id) ? SUSPECT_WEIGHT : 1;
  f.aggregator.recordWatch(
    {
      cohort: s.cohort, videoId: v.id, category: v.category, watchRatio, watchMs: Math.max(0, watchMs),
      completed: watchRatio >= 1, skipped, liked: false, rewatched: false, weight: Math.max(0, weight) * shared,
      session: ctx.id, at: now,
    },
    now,
  );
}

