import type { Logger } from "pino";
import { VirtualClock, driveVirtual, type FeedServices, type HomogenizationSample, type ViralSnapshot } from "../actors/index.ts";
import { createFeedNode } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { hash32 } from "../protocols/index.ts";
import type { FeedRanker, SyntheticWorld } from "../models/index.ts";
import { farmBotActor, type FarmServices } from "./farm-bot-actor.ts";
import { createProgress } from "./progress.ts";
import { SimMetrics, type SimMetricsListener } from "./sim-metrics.ts";
import { simUserActor, type SimServices } from "./sim-user-actor.ts";

/** The JSON summary `fyp simulate` prints. */
export interface SimulationSummary {
  seed: number;
  users: number;
  videos: number;
  sessions: number;
  items: number;
  watchTimePerSessionS: number;
  itemsPerSession: number;
  completionRate: number;
  skipRate: number;
  likeRate: number;
  coverage: number;
  gini: number;
  filterBubble: number;
  noveltyRate: number;
  uploads: number;
  promotedPerStage: number[];
  retired: number;
  graduated: number;
  farmBots: number;
  flaggedSessions: number;
  flaggedVideos: number;
  farmsDetected: number;
  feedErrors: number;
  failedMessages: number;
  virtualMs: number;
  wallMs: number;
  realTimeFactor: number;
  /** Simulated interactions (served items watched or skipped) per wall second. */
  eventsPerSec: number;
  /** Actor messages handled per wall second (feeds, events, timers, coordinator traffic). */
  messagesPerSec: number;
  messages: number;
  peakActiveActors: number;
  /** Most sessions in progress at one virtual time (started, not left). */
  peakConcurrentSessions: number;
  /** Live heap per active actor at the peak (needs node --expose-gc; null without it). */
  heapBytesPerActor: number | null;
  checksum: string;
}

/** Everything a research harness may want beyond the summary (time series, viral log, farm timings). */
export interface SimulationResult {
  summary: SimulationSummary;
  homogenization: HomogenizationSample[];
  viral: ViralSnapshot;
  integrity: { flaggedSessions: number; flaggedVideos: number[]; farms: { sessions: number; videos: number[]; at: number }[] };
  farmTargets: number[];
  farmImpressionTimes: number[];
  /** Normal viewers' impressions per virtual minute. */
  impressionsPerMinute: number[];
}

export interface SimulationHooks {
  /** Every message any actor handles, in order (determinism checks). */
  trace?: (at: number, id: string, msg: { type: string }) => void;
  /** Uploads with an explicit hidden quality, at given virtual times (scenarios). */
  uploads?: { at: number; category: number; durationMs: number; quality: number }[];
  /** A research observer (loadtest/research): sees every viewer event and traced message; read-only. */
  observer?: SimulationObserver;
  /** Stop at this virtual time instead of running every session to its end (big-run benchmarks). */
  untilMs?: number;
  /** Rank with this instead of the ranker config `feed.ranker` names (e.g. one that logs training rows). */
  ranker?: () => FeedRanker;
}

/** Watches a run without changing it (no timers, no messages): the outcome and checksum stay the same. */
export interface SimulationObserver extends SimMetricsListener {
  attach(env: { clock: VirtualClock; feed: FeedServices; world: SyntheticWorld; config: Readonly<Config> }): void;
  trace(at: number, id: string, msg: { type: string }): void;
  /** After the last event, before the coordinators are asked for their state. */
  finish(atMs: number): void;
}

/**
 * `fyp simulate`: synthetic viewers from the calibrated world request feeds from the recommender's
 * session actors in virtual time, react through the choice model, and every reaction flows back into
 * interests, video counters, cohorts and the coordinators. Same config + seed -> same summary (except the
 * wall-time figures).
 */
export async function runSimulation(config: Readonly<Config>, log: Logger, hooks: SimulationHooks = {}): Promise<SimulationResult> {
  const sim = config.simulate;
  const clock = new VirtualClock({ seed: sim.seed });
  let usersDone = 0;
  const progress = createProgress({ label: "simulate", total: sim.sessions, log, everyMs: sim.progressEveryMs, enabled: sim.progress });
  const simServices = { uploadQuality: new Map<number, number>() } as SimServices;
  const farm: FarmServices = { targets: [], intervalMs: sim.farm.intervalMs, events: sim.farm.events };
  const node = createFeedNode({
    config, clock, log, storage: "ephemeral", ranker: hooks.ranker,
    extraKinds: [simUserActor, farmBotActor],
    extraServices: { sim: simServices, farm },
    trace: composeTrace(hooks.trace, hooks.observer),
  });
  const { system, feed, world } = node;
  const catalogSize = feed.catalog.size;
  // farm targets: the lowest-quality-looking tail of the catalog (ids are fixed by the seed)
  farm.targets = Array.from({ length: Math.min(sim.farm.videos, catalogSize) }, (_, i) => catalogSize - 1 - i);
  const metrics = new SimMetrics(feed.catalog.numCategories, Math.max(1, Math.floor(sim.sessions / 2000)), sim.farm.bots > 0 ? new Set(farm.targets) : new Set());
  Object.assign(simServices, {
    world,
    params: { ...sim },
    metrics,
    feedSize: config.feed.size,
    onUserDone: () => void usersDone++,
  } satisfies Omit<SimServices, "uploadQuality">);
  if (hooks.observer !== undefined) {
    metrics.listener = hooks.observer;
    hooks.observer.attach({ clock, feed, world, config });
  }

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakActive = 0;
  let gcAtActive = 0;
  let heapAtActive = 1;
  let peakHeap = heapBefore;
  const wallStart = performance.now();
  const arrivalOrder = shuffledIndices(sim.sessions, clock.rng.fork("arrival-order"));
  scheduleArrivals(clock, clock.rng.fork("arrivals"), sim.sessions, sim.arrivalWindowMs, (k) => system.tell("simuser/u" + arrivalOrder[k]!, { type: "sim.start" }));
  const botArrivals = clock.rng.fork("bot-arrivals");
  for (let b = 0; b < sim.farm.bots; b++) {
    const at = Math.floor(botArrivals.next() * Math.min(sim.arrivalWindowMs, 60_000));
    clock.setTimer(at, () => system.tell("farmbot/bot" + b, { type: "farm.start" }));
  }
  const uploadRng = clock.rng.fork("uploads");
  let uploads = 0;
  for (let k = 0; k < sim.uploads.count; k++) {
    clock.setTimer((k + 1) * sim.uploads.everyMs, () => {
      const v = world.video(uploadRng.int(world.videos));
      node.upload({ category: v.categoryIndex, durationMs: v.durationMs, authorId: v.authorId });
      uploads++;
    });
  }
  for (const u of hooks.uploads ?? []) {
    clock.setTimer(u.at, () => {
      const id = node.upload({ category: u.category, durationMs: u.durationMs, authorId: 1_000_000 + uploads });
      simServices.uploadQuality.set(id, u.quality);
      uploads++;
    });
  }
  const fired = await driveVirtual(system, clock, {
    untilMs: hooks.untilMs,
    everyEvents: 20_000,
    onProgress: () => {
      const st = system.stats();
      if (st.active > peakActive) {
        // only a collected heap says what the actors hold (without --expose-gc the figure is not reported);
        // collect only when the peak grew by 10%, or a ramping run spends its time in the collector
        if (global.gc !== undefined && st.active > gcAtActive * 1.1) {
          gcAtActive = st.active;
          global.gc();
          const h = process.memoryUsage().heapUsed;
          if (h > peakHeap) {
            peakHeap = h;
            heapAtActive = st.active;
          }
        }
        peakActive = st.active;
      }
      progress.update(usersDone, { active: st.active, vt: `${Math.round(clock.now() / 1000)}s` });
    },
  });
  // the last window of counters
  feed.aggregator.flush();
  await driveVirtual(system, clock, { untilMs: hooks.untilMs });
  progress.update(usersDone);
  progress.stop();
  const virtualMs = clock.now();
  const wallMs = performance.now() - wallStart;
  hooks.observer?.finish(virtualMs);
  peakActive = Math.max(peakActive, system.stats().active);

  const viral = await ask<ViralSnapshot>(node, "coord/viral");
  const homog = await ask<{ samples: HomogenizationSample[] }>(node, "coord/homogenization");
  const integrity = await ask<SimulationResult["integrity"]>(node, "coord/integrity");
  const st = system.stats();
  const exposure = metrics.exposureMetrics(feed.catalog.size);
  const sessions = Math.max(1, metrics.sessions);
  const items = Math.max(1, metrics.items);
  const summary: SimulationSummary = {
    seed: sim.seed,
    users: sim.sessions,
    videos: catalogSize,
    sessions: metrics.sessions,
    items: metrics.items,
    watchTimePerSessionS: round(metrics.sessionWatchMsSum / sessions / 1000),
    itemsPerSession: round(metrics.sessionItemsSum / sessions),
    completionRate: round(metrics.completions / items, 4),
    skipRate: round(metrics.skips / items, 4),
    likeRate: round(metrics.likes / items, 4),
    coverage: round(exposure.coverage, 4),
    gini: round(exposure.gini, 4),
    filterBubble: round(metrics.filterBubble((u) => world.user(u).affinity), 4),
    noveltyRate: round(feed.readModels.noveltyRate, 4),
    uploads,
    promotedPerStage: viral.reached,
    retired: viral.retired,
    graduated: viral.graduated,
    farmBots: sim.farm.bots,
    flaggedSessions: integrity.flaggedSessions,
    flaggedVideos: integrity.flaggedVideos.length,
    farmsDetected: integrity.farms.length,
    feedErrors: metrics.feedErrors,
    failedMessages: st.failed,
    virtualMs,
    wallMs: Math.round(wallMs),
    realTimeFactor: round(virtualMs / Math.max(1, wallMs)),
    eventsPerSec: Math.round(metrics.items / (wallMs / 1000)),
    messagesPerSec: Math.round(st.processed / (wallMs / 1000)),
    messages: st.processed,
    peakActiveActors: peakActive,
    peakConcurrentSessions: metrics.peakLiveSessions,
    heapBytesPerActor: global.gc === undefined ? null : Math.round(Math.max(0, peakHeap - heapBefore) / Math.max(1, heapAtActive)),
    checksum: "",
  };
  // The checksum pins the outcome: everything that must repeat for a seed (not the wall-time figures).
  const { wallMs: _w, realTimeFactor: _r, eventsPerSec: _e, messagesPerSec: _m, heapBytesPerActor: _b, peakActiveActors: _p, peakConcurrentSessions: _s, checksum: _c, ...stable } = summary;
  summary.checksum = hash32(JSON.stringify(stable) + fired).toString(16).padStart(8, "0");
  await node.close();
  return {
    summary,
    homogenization: homog.samples,
    viral,
    integrity,
    farmTargets: farm.targets,
    farmImpressionTimes: metrics.farmImpressionTimes,
    impressionsPerMinute: [...metrics.impressionsPerMinute].map((x) => x ?? 0),
  };
}

/** 0..n-1 in a seeded random order (Fisher-Yates); 4 bytes per user. */
function shuffledIndices(n: number, rng: { next(): number }): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Arrivals uniform over the window, the k-th arrival being `arrive(k)`: the times are the order statistics of
 * `n` uniform draws, generated in increasing order (t_k = 1 - (1 - t_{k-1}) * U^(1/(n-k))); with a random
 * order of users this is the same process as one uniform draw per user, with one pending timer instead of
 * a million (a million closures and heap entries were ~250 MB before any session had arrived).
 */
function scheduleArrivals(clock: VirtualClock, rng: { next(): number }, n: number, windowMs: number, arrive: (i: number) => void): void {
  let i = 0;
  let u = 0;
  let at = 0;
  const draw = (): void => {
    u = 1 - (1 - u) * Math.pow(1 - rng.next(), 1 / (n - i));
    at = Math.floor(u * windowMs);
  };
  const fire = (): void => {
    const t = at;
    // everyone due at this millisecond, in order, then one timer for the next arrival
    while (i < n && at === t) {
      arrive(i++);
      if (i < n) draw();
    }
    if (i < n) clock.setTimer(at - clock.now(), fire);
  };
  if (n <= 0) return;
  draw();
  clock.setTimer(at, fire);
}

function composeTrace(trace: SimulationHooks["trace"], observer: SimulationObserver | undefined): SimulationHooks["trace"] {
  if (observer === undefined) return trace;
  if (trace === undefined) return (at, id, msg) => observer.trace(at, id, msg);
  return (at, id, msg) => {
    trace(at, id, msg);
    observer.trace(at, id, msg);
  };
}

async function ask<T>(node: { system: { ask<R>(to: string, m: { type: string }): Promise<R>; runReady(): void } }, id: string): Promise<T> {
  const p = node.system.ask<T>(id, { type: "coord.get-state" });
  node.system.runReady();
  return p;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
