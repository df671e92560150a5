import { type FeedReply, type SessionMsg } from "../protocols/index.ts";
import { defineActor, feedServices, videoKey, videoNumber, type ActorContext, type FeedServices } from "../actors/index.ts";
import type { SyntheticUser, SyntheticVideo, SyntheticWorld } from "../models/index.ts";
import type { SimMetrics } from "./sim-metrics.ts";
import { leaves, nextBoredom, react, returnDelay, thinkTime, videoQuality, type UserModelParams } from "./user-model.ts";

/** Shared by the simulated viewers of a run (`services.sim`). */
export interface SimServices {
  world: SyntheticWorld;
  params: UserModelParams;
  metrics: SimMetrics;
  /** Explicit hidden quality of uploaded videos (scenarios); others use videoQuality(). */
  uploadQuality: Map<number, number>;
  feedSize: number;
  onUserDone: () => void;
}

export type SimUserMsg = { type: "sim.start" } | { type: "sim.next" } | { type: "sim.return" };

export interface SimUserState {
  sessions: number;
  items: number;
  counter: number;
  boredom: number;
  lastCategory: number;
  /** The rest of the current page, as video numbers (the reply's id strings would cost ~30 B each). */
  queue: number[];
  sessionWatchMs: number;
}

/**
 * A simulated viewer (load tester side): asks its user-session actor for feeds and watches, skips, likes
 * or leaves according to the choice model, with think time between videos and a return model across sessions.
 */
export const simUserActor = defineActor<SimUserState, SimUserMsg>({
  kind: "simuser",
  initialState: () => ({ sessions: 0, items: 0, counter: 0, boredom: 0, lastCategory: -1, queue: [], sessionWatchMs: 0 }),
  // Not async: only asking for the next page returns a promise (the dispatcher then keeps the viewer busy).
  receive(ctx, msg) {
    const sim = ctx.services.sim as SimServices;
    const s = ctx.state;
    switch (msg.type) {
      case "sim.start":
      case "sim.return":
        s.sessions++;
        s.items = 0;
        s.boredom = 0;
        s.queue = [];
        s.sessionWatchMs = 0;
        sim.metrics.sessionStarted();
        ctx.tell(sessionOf(ctx), { type: "session.start", at: ctx.clock.now() });
        return nextItem(ctx, sim);
      case "sim.next":
        return nextItem(ctx, sim);
    }
  },
});

function sessionOf(ctx: { key: string }): string {
  return "session/" + ctx.key;
}

function userIndex(ctx: { key: string }): number {
  return Number(ctx.key.slice(1));
}

/** Watches the next queued item, or asks for a page first (then the returned promise settles after it). */
function nextItem(ctx: ActorContext<SimUserState, SimUserMsg>, sim: SimServices): Promise<void> | undefined {
  const s = ctx.state;
  if (s.queue.length > 0) {
    watchNext(ctx, sim);
    return undefined;
  }
  return ctx.ask<FeedReply>(sessionOf(ctx), { type: "feed.request", count: sim.feedSize, at: ctx.clock.now() }).then(
    (reply) => {
      sim.metrics.feeds++;
      s.queue = reply.items.map((i) => videoNumber(i.videoId));
      if (sim.metrics.listener !== undefined) sim.metrics.recordFeed(userIndex(ctx), reply.items.map((i) => i.videoId), ctx.clock.now());
      if (s.queue.length === 0) endSession(ctx, sim);
      else watchNext(ctx, sim);
    },
    () => {
      sim.metrics.feedErrors++;
      endSession(ctx, sim);
    },
  );
}

function watchNext(ctx: ActorContext<SimUserState, SimUserMsg>, sim: SimServices): void {
  const s = ctx.state;
  const f: FeedServices = feedServices(ctx.services);
  const n = s.queue.shift()!;
  const videoId = videoKey(n);
  const v = f.catalog.get(n)!;
  const user = userIndex(ctx);
  const u = cachedUser(sim, user);
  const sv: SyntheticVideo = { videoId: n, durationMs: v.durationMs, categoryIndex: v.category, category: v.category, authorId: v.authorId };
  const quality = sim.uploadQuality.get(n) ?? videoQuality(sim.params.seed, n, sim.params.qualitySigma);
  const r = react(sim.world, sim.params, u, sv, quality, s.boredom, s.counter);
  const now = ctx.clock.now();
  const to = sessionOf(ctx);
  const event: SessionMsg = r.skipped
    ? { type: "session.skip", videoId, watchMs: r.watchMs, at: now }
    : { type: "session.watch", videoId, watchMs: r.watchMs, durationMs: v.durationMs, at: now };
  ctx.tell(to, event);
  if (r.liked) ctx.tell(to, { type: "session.like", videoId, at: now });
  if (r.rewatched) ctx.tell(to, { type: "session.rewatch", videoId, at: now });
  sim.metrics.recordItem(user, n, v.category, r.watchMs, r.watchRatio, r.skipped, r.liked, r.rewatched, now);
  s.boredom = nextBoredom(s.boredom, v.category === s.lastCategory, r);
  s.lastCategory = v.category;
  s.items++;
  s.counter++;
  s.sessionWatchMs += r.watchMs;
  if (leaves(sim.params, user, s.counter, s.boredom, s.items)) return endSession(ctx, sim);
  ctx.setTimer("next", r.watchMs + thinkTime(sim.params, user, s.counter), { type: "sim.next" });
}

function endSession(ctx: ActorContext<SimUserState, SimUserMsg>, sim: SimServices): void {
  const s = ctx.state;
  sim.metrics.sessionEnded(s.items, s.sessionWatchMs, userIndex(ctx), ctx.clock.now());
  ctx.tell(sessionOf(ctx), { type: "session.leave", at: ctx.clock.now() });
  const delay = returnDelay(sim.params, userIndex(ctx), s.sessions);
  if (delay >= 0) ctx.setTimer("return", delay, { type: "sim.return" });
  else {
    sim.metrics.usersDone++;
    sim.onUserDone();
    ctx.passivate();
  }
}

/** Regenerating a user's taste (a Dirichlet draw) per video dominated the viewer's cost: keep recent ones. */
const USER_CACHE_MAX = 50_000;
const userCaches = new WeakMap<SimServices, Map<number, SyntheticUser>>();
function cachedUser(sim: SimServices, i: number): SyntheticUser {
  let cache = userCaches.get(sim);
  if (cache === undefined) userCaches.set(sim, (cache = new Map()));
  let u = cache.get(i);
  if (u === undefined) {
    if (cache.size >= USER_CACHE_MAX) cache.clear();
    u = sim.world.user(i);
    cache.set(i, u);
  }
  return u;
}
