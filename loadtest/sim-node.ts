import type { Logger } from "pino";
import { VirtualClock, type HomogenizationSample, type ViralSnapshot } from "../actors/index.ts";
import { createFeedNode, type FeedNode } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { hash32 } from "../protocols/index.ts";
import type { FeedRanker } from "../models/index.ts";
import { farmBotActor, type FarmServices } from "./farm-bot-actor.ts";
import { SimMetrics } from "./sim-metrics.ts";
import { simUserActor, type SimServices } from "./sim-user-actor.ts";
import type { SimulationObserver, SimulationSummary } from "./simulate.ts";

/**
 * Which actors one node of a parallel run hosts. A viewer's actors (`simuser/`, `session/`, `farmbot/`
 * with one key) stay together on one node, chosen by the key; every other actor by its whole id.
 */
export interface SimPart {
  readonly index: number;
  readonly count: number;
}

/**
 * The coordinators, heaviest first (the homogenization merge, then the farm detector's scans): dealt to the
 * nodes in turn, so two heavy ones share a node only when there are fewer nodes than coordinators.
 */
const COORDINATORS = ["coord/homogenization", "coord/integrity", "coord/viral", "coord/model-sync"];

/** The node of `count` that hosts actor `id`. */
export function ownerOf(id: string, count: number): number {
  if (count <= 1) return 0;
  // called for every message a node sends: kinds are told by prefix, no substring made for them
  if (id.startsWith("coord/")) {
    const k = COORDINATORS.indexOf(id);
    if (k >= 0) return k % count;
  }
  const viewer = id.startsWith("session/") || id.startsWith("simuser/") || id.startsWith("farmbot/");
  return hash32(viewer ? id.slice(id.indexOf("/") + 1) : id) % count;
}

/** A simulation's node with its viewers, uploads and bots scheduled, before the first event. */
export interface SimNode {
  readonly node: FeedNode;
  readonly clock: VirtualClock;
  readonly metrics: SimMetrics;
  readonly farm: FarmServices;
  /** Uploads so far, and viewers whose last session has ended (on this node). */
  readonly counts: { uploads: number; usersDone: number };
  /** The catalog's size before the first upload (the summary's `videos`). */
  readonly catalogSize: number;
}

export interface SimNodeHooks {
  trace?: (at: number, id: string, msg: { type: string }) => void;
  uploads?: { at: number; category: number; durationMs: number; quality: number }[];
  observer?: SimulationObserver;
  ranker?: () => FeedRanker;
}

/**
 * Builds the recommender's node with the simulated viewers' actor kinds and schedules the run: arrivals,
 * farm bots, uploads. With `part`, the node is one of `part.count` in lockstep: it schedules only the
 * viewers and bots it hosts, replicates every upload into its catalog (announcing it only if it hosts the
 * video's actor), and draws upload vectors as node 0 does, so every replica's catalog is the same.
 */
export function setUpSimulation(config: Readonly<Config>, log: Logger, hooks: SimNodeHooks = {}, part?: SimPart): SimNode {
  const sim = config.simulate;
  const clock = new VirtualClock({ seed: sim.seed });
  const counts = { uploads: 0, usersDone: 0 };
  const simServices = { uploadQuality: new Map<number, number>() } as SimServices;
  const farm: FarmServices = { targets: [], intervalMs: sim.farm.intervalMs, events: sim.farm.events };
  const parts = part?.count ?? 1;
  const here = part?.index ?? 0;
  const hosts = (id: string): boolean => ownerOf(id, parts) === here;
  const node = createFeedNode({
    config, clock, log, storage: "ephemeral", ranker: hooks.ranker,
    extraKinds: [simUserActor, farmBotActor],
    extraServices: { sim: simServices, farm },
    trace: composeTrace(hooks.trace, hooks.observer),
    ...(part !== undefined && part.index > 0 ? { nodeId: `embedded-${part.index}`, catalogNodeId: "embedded" } : {}),
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
    onUserDone: () => void counts.usersDone++,
  } satisfies Omit<SimServices, "uploadQuality">);
  if (hooks.observer !== undefined) {
    metrics.listener = hooks.observer;
    hooks.observer.attach({ clock, feed, world, config });
  }

  const arrivalOrder = shuffledIndices(sim.sessions, clock.rng.fork("arrival-order"));
  scheduleArrivals(clock, clock.rng.fork("arrivals"), sim.sessions, sim.arrivalWindowMs, (k) => {
    const id = "simuser/u" + arrivalOrder[k]!;
    if (parts === 1 || hosts(id)) system.tell(id, { type: "sim.start" });
  });
  const botArrivals = clock.rng.fork("bot-arrivals");
  for (let b = 0; b < sim.farm.bots; b++) {
    const at = Math.floor(botArrivals.next() * Math.min(sim.arrivalWindowMs, 60_000));
    const id = "farmbot/bot" + b;
    if (parts === 1 || hosts(id)) clock.setTimer(at, () => system.tell(id, { type: "farm.start" }));
  }
  const uploadRng = clock.rng.fork("uploads");
  for (let k = 0; k < sim.uploads.count; k++) {
    clock.setTimer((k + 1) * sim.uploads.everyMs, () => {
      const v = world.video(uploadRng.int(world.videos));
      node.upload({ category: v.categoryIndex, durationMs: v.durationMs, authorId: v.authorId }, parts === 1 || hosts("video/v" + feed.catalog.size));
      counts.uploads++;
    });
  }
  for (const u of hooks.uploads ?? []) {
    clock.setTimer(u.at, () => {
      const id = node.upload({ category: u.category, durationMs: u.durationMs, authorId: 1_000_000 + counts.uploads }, parts === 1 || hosts("video/v" + feed.catalog.size));
      simServices.uploadQuality.set(id, u.quality);
      counts.uploads++;
    });
  }
  return { node, clock, metrics, farm, counts, catalogSize };
}

/** What a run's summary is made of (one node's, or the parts of a parallel run put together). */
export interface SummaryFigures {
  metrics: SimMetrics;
  /** The catalog before the first upload (`videos`), and at the end (exposure coverage and Gini). */
  catalogSize: number;
  finalCatalogSize: number;
  uploads: number;
  viral: ViralSnapshot;
  integrity: { flaggedSessions: number; flaggedVideos: number[]; farms: { sessions: number; videos: number[]; at: number }[] };
  homogenization: HomogenizationSample[];
  noveltyRate: number;
  filterBubble: number;
  failed: number;
  processed: number;
  fired: number;
  virtualMs: number;
  wallMs: number;
  peakActive: number;
  heapBytesPerActor: number | null;
  workers: number;
}

/** The summary `fyp simulate` prints, with the checksum of everything that must repeat for a seed. */
export function summarize(config: Readonly<Config>, f: SummaryFigures): SimulationSummary {
  const sim = config.simulate;
  const metrics = f.metrics;
  const exposure = metrics.exposureMetrics(f.finalCatalogSize);
  const sessions = Math.max(1, metrics.sessions);
  const items = Math.max(1, metrics.items);
  const summary: SimulationSummary = {
    seed: sim.seed,
    users: sim.sessions,
    videos: f.catalogSize,
    sessions: metrics.sessions,
    items: metrics.items,
    watchTimePerSessionS: round(metrics.sessionWatchMsSum / sessions / 1000),
    itemsPerSession: round(metrics.sessionItemsSum / sessions),
    completionRate: round(metrics.completions / items, 4),
    skipRate: round(metrics.skips / items, 4),
    likeRate: round(metrics.likes / items, 4),
    coverage: round(exposure.coverage, 4),
    gini: round(exposure.gini, 4),
    filterBubble: round(f.filterBubble, 4),
    noveltyRate: round(f.noveltyRate, 4),
    uploads: f.uploads,
    promotedPerStage: f.viral.reached,
    retired: f.viral.retired,
    graduated: f.viral.graduated,
    farmBots: sim.farm.bots,
    flaggedSessions: f.integrity.flaggedSessions,
    flaggedVideos: f.integrity.flaggedVideos.length,
    farmsDetected: f.integrity.farms.length,
    feedErrors: metrics.feedErrors,
    failedMessages: f.failed,
    virtualMs: f.virtualMs,
    wallMs: Math.round(f.wallMs),
    realTimeFactor: round(f.virtualMs / Math.max(1, f.wallMs)),
    eventsPerSec: Math.round(metrics.items / (f.wallMs / 1000)),
    messagesPerSec: Math.round(f.processed / (f.wallMs / 1000)),
    messages: f.processed,
    peakActiveActors: f.peakActive,
    peakConcurrentSessions: metrics.peakLiveSessions,
    heapBytesPerActor: f.heapBytesPerActor,
    workers: f.workers,
    checksum: "",
  };
  // The checksum pins the outcome: everything that must repeat for a seed (not the wall-time figures, and
  // not the worker count, which is part of the configuration the outcome depends on)
  const { wallMs: _w, realTimeFactor: _r, eventsPerSec: _e, messagesPerSec: _m, heapBytesPerActor: _b, peakActiveActors: _p, peakConcurrentSessions: _s, workers: _k, checksum: _c, ...stable } = summary;
  summary.checksum = hash32(JSON.stringify(stable) + f.fired).toString(16).padStart(8, "0");
  return summary;
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

/** A coordinator's `coord.get-state` answer (its actor is hosted on this node's system). */
export function askState<T>(system: { ask<R>(to: string, m: { type: string }): Promise<R>; runReady(): void }, id: string): Promise<T> {
  const p = system.ask<T>(id, { type: "coord.get-state" });
  system.runReady();
  return p;
}

function composeTrace(trace: SimNodeHooks["trace"], observer: SimulationObserver | undefined): SimNodeHooks["trace"] {
  if (observer === undefined) return trace;
  if (trace === undefined) return (at, id, msg) => observer.trace(at, id, msg);
  return (at, id, msg) => {
    trace(at, id, msg);
    observer.trace(at, id, msg);
  };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
