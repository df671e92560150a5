import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { fypv1, type DeepPartial } from "../protocols/index.ts";
import { RpcError, grpcStatusName, type FeedClient } from "../cluster/index.ts";
import type { SyntheticVideo, SyntheticWorld } from "../models/index.ts";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.ts";
import { leaves, nextBoredom, react, thinkTime, videoQuality, type UserModelParams } from "./user-model.ts";

export interface ClosedLoopOptions {
  /** Behavioural sessions held open at once; a session that leaves is replaced by a new user. */
  sessions: number;
  durationMs: number;
  /** Items per GetFeed. */
  count: number;
  deadlineMs: number;
  /** Time compression: watch and think times are divided by this (1 = real time). */
  speed: number;
  /** The world the server's catalog comes from (same config: synthetic seed, simulate.videos). */
  world: SyntheticWorld;
  params: UserModelParams;
  /** User ids are `${userPrefix}${n}` (n from 0; distinct per run so reruns do not reuse warm sessions). */
  userPrefix: string;
  /** Sessions start spread over this many ms (ramp-up), so they do not all ask at once. */
  rampMs?: number;
  /**
   * The run goes on past `durationMs` until at least this many GetFeed calls were answered (default 0):
   * a run that must see a given amount of traffic (a test on a starved machine) waits for it, not for a time.
   */
  minGetFeedCalls?: number;
}

export interface RpcReport {
  calls: number;
  /** Status name -> count (CLIENT_ERROR: failed before a status). */
  codes: Record<string, number>;
  /** The first failure's message for each status name other than OK (what to look at when a status is unexpected). */
  samples: Record<string, string>;
  latency: LatencySummary;
  perSec: number;
}

export interface ClosedLoopReport {
  sessions: number;
  durationMs: number;
  speed: number;
  /** Sessions (users) started and sessions that left by the choice model. */
  started: number;
  left: number;
  /** Most sessions in the middle of a GetFeed or a watch at one time (the concurrency actually held). */
  peakActive: number;
  items: number;
  events: number;
  eventsPerSec: number;
  watchPerItemS: number;
  skipRate: number;
  completionRate: number;
  getFeed: RpcReport;
  reportEvents: RpcReport;
  /** Items served whose id the client's catalog did not know (uploads; watched with default metadata). */
  unknownVideos: number;
}

const FALLBACK_DURATION_MS = 15_000;

/**
 * Closed-loop behavioural load over gRPC: each session asks for a feed, watches what it is served for as
 * long as the choice model says (taste x duration x hidden quality x boredom, scaled by `speed`), reports
 * each reaction with ReportEvents, thinks, and asks again when its page runs out; it leaves by the leave
 * model (SESSION_END) and a new user takes its place. Unlike the open-loop generator, a slow server slows
 * the sessions down: throughput here is what N real viewers would produce.
 */
export async function runClosedLoop(client: FeedClient, o: ClosedLoopOptions): Promise<ClosedLoopReport> {
  const t0 = performance.now();
  const end = t0 + o.durationMs;
  const feedH = new LatencyHistogram();
  const eventH = new LatencyHistogram();
  const feedCodes: Record<string, number> = {};
  const eventCodes: Record<string, number> = {};
  const feedSamples: Record<string, string> = {};
  const eventSamples: Record<string, string> = {};
  const ac = new AbortController();
  // every waiting session listens for the end of the run
  setMaxListeners(0, ac.signal);
  const minCalls = o.minGetFeedCalls ?? 0;
  const finished = (): boolean => performance.now() >= end && feedH.count >= minCalls;
  const stopTimer = setTimeout(() => feedH.count >= minCalls && ac.abort(), o.durationMs);
  let nextUser = 0;
  let started = 0, left = 0, active = 0, peakActive = 0, items = 0, events = 0, watchMs = 0, skips = 0, completions = 0, unknown = 0;
  const count = (codes: Record<string, number>, samples: Record<string, string>, e: unknown): void => {
    const name = e === undefined ? "OK" : e instanceof RpcError ? grpcStatusName(e.code) : "CLIENT_ERROR";
    codes[name] = (codes[name] ?? 0) + 1;
    if (e !== undefined && samples[name] === undefined) samples[name] = (e instanceof Error ? e.message : String(e)).slice(0, 300);
  };
  const wait = async (ms: number): Promise<boolean> => {
    const scaled = ms / o.speed;
    if (performance.now() + scaled >= end && feedH.count >= minCalls) return false;
    if (scaled >= 1) {
      try {
        await sleep(scaled, undefined, { signal: ac.signal });
      } catch {
        return false;
      }
    }
    return true;
  };
  const report = async (evs: DeepPartial<fypv1.Event>[]): Promise<void> => {
    const t = performance.now();
    try {
      await client.reportEvents(evs, { deadlineMs: o.deadlineMs });
      count(eventCodes, eventSamples, undefined);
      events += evs.length;
    } catch (e) {
      count(eventCodes, eventSamples, e);
    }
    eventH.recordMs(performance.now() - t);
  };
  const videoMeta = (id: string): SyntheticVideo => {
    const n = Number(id.slice(1));
    if (Number.isInteger(n) && n >= 0 && n < o.world.videos) return o.world.video(n);
    unknown++;
    return { videoId: n, durationMs: FALLBACK_DURATION_MS, categoryIndex: 0, category: 0, authorId: 0 };
  };

  const session = async (): Promise<void> => {
    while (!finished()) {
      const userIndex = nextUser++;
      const userId = o.userPrefix + userIndex;
      // the world's users are finite; wrap so any number of sessions maps onto real tastes
      const user = o.world.user(userIndex % o.world.users);
      started++;
      let counter = 0, boredom = 0, lastCategory = -1, sessionItems = 0;
      let leftByModel = false;
      while (!finished() && !leftByModel) {
        active++;
        peakActive = Math.max(peakActive, active);
        const t = performance.now();
        let served: string[] = [];
        try {
          const res = await client.getFeed({ userId, count: o.count }, { deadlineMs: o.deadlineMs });
          count(feedCodes, feedSamples, undefined);
          served = res.items.map((i) => i.videoId);
        } catch (e) {
          count(feedCodes, feedSamples, e);
        }
        feedH.recordMs(performance.now() - t);
        active--;
        if (finished()) ac.abort();
        if (served.length === 0) {
          // refused or empty: back off for a think time instead of hammering (still closed-loop)
          if (!(await wait(thinkTime(o.params, userIndex, counter++)))) return;
          continue;
        }
        for (const videoId of served) {
          const v = videoMeta(videoId);
          const r = react(o.world, o.params, user, v, videoQuality(o.params.seed, v.videoId, o.params.qualitySigma), boredom, counter);
          if (!(await wait(r.watchMs))) return;
          const at = Date.now();
          const evs: DeepPartial<fypv1.Event>[] = [
            r.skipped
              ? { userId, type: fypv1.EventType.EVENT_TYPE_SKIP, videoId, watchMs: r.watchMs, atMs: at }
              : { userId, type: fypv1.EventType.EVENT_TYPE_WATCH, videoId, watchMs: r.watchMs, durationMs: v.durationMs, atMs: at },
          ];
          if (r.liked) evs.push({ userId, type: fypv1.EventType.EVENT_TYPE_LIKE, videoId, atMs: at });
          if (r.rewatched) evs.push({ userId, type: fypv1.EventType.EVENT_TYPE_REWATCH, videoId, atMs: at });
          active++;
          peakActive = Math.max(peakActive, active);
          await report(evs);
          active--;
          items++;
          watchMs += r.watchMs;
          if (r.skipped) skips++;
          if (r.watchRatio >= 1) completions++;
          boredom = nextBoredom(boredom, v.categoryIndex === lastCategory, r);
          lastCategory = v.categoryIndex;
          counter++;
          sessionItems++;
          if (leaves(o.params, userIndex, counter, boredom, sessionItems)) {
            leftByModel = true;
            break;
          }
          if (!(await wait(thinkTime(o.params, userIndex, counter)))) return;
        }
      }
      if (leftByModel) {
        left++;
        await report([{ userId, type: fypv1.EventType.EVENT_TYPE_SESSION_END, atMs: Date.now() }]);
      }
    }
  };

  const ramp = o.rampMs ?? Math.min(1000, o.durationMs / 10);
  const all: Promise<void>[] = [];
  for (let i = 0; i < o.sessions; i++) {
    const delay = o.sessions > 1 ? (ramp * i) / o.sessions : 0;
    all.push((delay >= 1 ? sleep(delay, undefined, { signal: ac.signal }).then(session, () => undefined) : session()));
  }
  await Promise.all(all);
  clearTimeout(stopTimer);
  const elapsedS = (performance.now() - t0) / 1000;
  const rpc = (h: LatencyHistogram, codes: Record<string, number>, samples: Record<string, string>): RpcReport => ({
    calls: h.count,
    codes,
    samples,
    latency: h.summary(),
    perSec: Math.round((h.count / elapsedS) * 10) / 10,
  });
  const n = Math.max(1, items);
  return {
    sessions: o.sessions,
    durationMs: o.durationMs,
    speed: o.speed,
    started,
    left,
    peakActive,
    items,
    events,
    eventsPerSec: Math.round((events / elapsedS) * 10) / 10,
    watchPerItemS: Math.round((watchMs / n / 1000) * 1000) / 1000,
    skipRate: Math.round((skips / n) * 10_000) / 10_000,
    completionRate: Math.round((completions / n) * 10_000) / 10_000,
    getFeed: rpc(feedH, feedCodes, feedSamples),
    reportEvents: rpc(eventH, eventCodes, eventSamples),
    unknownVideos: unknown,
  };
}
