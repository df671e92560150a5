import type { Logger } from "pino";
import { driveVirtual, type FeedServices, type HomogenizationSample, type VirtualClock, type ViralSnapshot } from "../actors/index.ts";
import type { Config } from "../configs/index.ts";
import { InvalidArgumentError } from "../protocols/index.ts";
import type { FeedRanker, SyntheticWorld } from "../models/index.ts";
import { runNatsSimulation, type NatsSimOptions } from "./nats-sim.ts";
import { runParallelSimulation } from "./parallel-sim.ts";
import { ResearchRecorder } from "./research/research-recorder.ts";
import { createProgress } from "./progress.ts";
import type { SimMetricsListener } from "./sim-metrics.ts";
import { askState, setUpSimulation, summarize } from "./sim-node.ts";

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
  /** Worker threads the run was split over (simulate.workers; 1: one node, one event order). */
  workers: number;
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
  /**
   * A parallel run's (simulate.workers > 1) lockstep figures: epochs run, what crossed between nodes
   * (messages, replies, read-model updates), the longest a post waited between its epoch's end and the epoch
   * end it was delivered at (virtual ms: `lagEpochs` epochs), the items each node's viewers watched or
   * skipped, the wall ms each node spent waiting for the others (imbalance and synchronisation), and over
   * NATS each node process's peak RSS.
   */
  nodes?: {
    epochs: number; crossings: number; deliveryLagMs: number; items: number[]; waitMs: number[];
    /** Over NATS (the nodes are processes): each node process's peak RSS. */
    maxRssBytes?: number[];
  };
}

export interface SimulationHooks {
  /** Every message any actor handles, in order (determinism checks). */
  trace?: (at: number, id: string, msg: { type: string }) => void;
  /** Uploads with an explicit hidden quality, at given virtual times (scenarios). */
  uploads?: { at: number; category: number; durationMs: number; quality: number }[];
  /**
   * A research observer (loadtest/research): sees every viewer event and traced message; read-only. With
   * simulate.workers > 1 only a ResearchRecorder (it is fed every node's events, merged by virtual time).
   */
  observer?: SimulationObserver;
  /** Stop at this virtual time instead of running every session to its end (big-run benchmarks). */
  untilMs?: number;
  /** Called once the node (or every worker's node) is built, before the first event (benchmarks start their clocks). */
  onReady?: () => void;
  /** Rank with this instead of the ranker config `feed.ranker` names (e.g. one that logs training rows). */
  ranker?: () => FeedRanker;
  /**
   * Run the `simulate.workers` nodes as processes that meet over NATS (some of them, or all, on other
   * machines) instead of worker threads: the same run (nats-sim.ts).
   */
  nats?: NatsSimOptions;
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
  if (hooks.nats !== undefined && sim.workers < 2) throw new InvalidArgumentError("simulate.workers", "must be at least 2 for a run over NATS (its nodes are processes)", sim.workers);
  if (sim.workers > 1) {
    // the research recorder takes every node's events merged in virtual-time order; other observers, traces
    // and scenario uploads see one node's actors and events as they happen
    const recorder = hooks.observer instanceof ResearchRecorder ? hooks.observer : undefined;
    const used: string[] = (["trace", "uploads", "ranker"] as const).filter((k) => hooks[k] !== undefined);
    if (hooks.observer !== undefined && recorder === undefined) used.push("observer");
    if (used.length > 0) throw new InvalidArgumentError("simulate.workers", `must be 1 for a run with ${used.join(", ")} (traces, scenario uploads and observers other than the research recorder need one node's event order)`, sim.workers);
    const opts = { untilMs: hooks.untilMs, onReady: hooks.onReady, ...(recorder !== undefined ? { recorder } : {}) };
    return hooks.nats !== undefined ? runNatsSimulation(config, log, hooks.nats, opts) : runParallelSimulation(config, log, opts);
  }
  const { node, clock, metrics, counts, farm, catalogSize } = setUpSimulation(config, log, hooks);
  const { system, feed, world } = node;
  const progress = createProgress({ label: "simulate", total: sim.sessions, log, everyMs: sim.progressEveryMs, enabled: sim.progress });

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakActive = 0;
  let gcAtActive = 0;
  let heapAtActive = 1;
  let peakHeap = heapBefore;
  hooks.onReady?.();
  const wallStart = performance.now();
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
      progress.update(counts.usersDone, { active: st.active, vt: `${Math.round(clock.now() / 1000)}s` });
    },
  });
  // the last window of counters
  feed.aggregator.flush();
  await driveVirtual(system, clock, { untilMs: hooks.untilMs });
  progress.update(counts.usersDone);
  progress.stop();
  const virtualMs = clock.now();
  const wallMs = performance.now() - wallStart;
  hooks.observer?.finish(virtualMs);
  peakActive = Math.max(peakActive, system.stats().active);

  const viral = await askState<ViralSnapshot>(system, "coord/viral");
  const homog = await askState<{ samples: HomogenizationSample[] }>(system, "coord/homogenization");
  const integrity = await askState<SimulationResult["integrity"]>(system, "coord/integrity");
  const st = system.stats();
  const summary = summarize(config, {
    metrics, catalogSize, finalCatalogSize: feed.catalog.size, uploads: counts.uploads, viral, integrity, homogenization: homog.samples,
    noveltyRate: feed.readModels.noveltyRate, filterBubble: metrics.filterBubble((u) => world.user(u).affinity),
    failed: st.failed, processed: st.processed, fired, virtualMs, wallMs, peakActive,
    heapBytesPerActor: global.gc === undefined ? null : Math.round(Math.max(0, peakHeap - heapBefore) / Math.max(1, heapAtActive)),
    workers: 1,
  });
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

