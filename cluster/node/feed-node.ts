import type { Logger } from "pino";
import {
  BruteForceIndex, CandidateGenerator, CoEngagementIndex, ColdStartSource, CollaborativeSource, ContentSource, ExplorationSource,
  FeedPipeline, HnswIndex, LinUcbBandit, NoveltyInjector, PriorRanker, SyntheticFeedCatalog, SyntheticWorld, TrendingSource,
  createRng, policySelector, worldParamsFor, type AnnIndex, type FeedRanker, type SessionModelParams,
} from "../../models/index.ts";
import { createFeedRanker, OnnxFeedRanker } from "../../models/index.ts";
import {
  EngagementAggregator, ReadModels, cohortActor, coordinatorKind, homogenizationCoordinator, integrityCoordinator, modelSyncCoordinator, userSessionActor,
  videoActor, viralCoordinator, type ActorBehavior, type Clock, type FeedServices,
} from "../../actors/index.ts";
import type { Config } from "../../configs/index.ts";
import { createEmbeddedNode, type EmbeddedNode } from "./embedded-node.ts";

export interface FeedNodeOptions {
  config: Readonly<Config>;
  clock: Clock;
  log: Logger;
  nodeId?: string;
  /** The world the catalog comes from; default: the configured synthetic world with `simulate.videos` videos. */
  world?: SyntheticWorld;
  /** The ranking model; default: the one config `feed.ranker` names (`prior`: no trained model needed). */
  ranker?: () => FeedRanker;
  storage?: "config" | "ephemeral";
  /** More actor kinds hosted on this node (e.g. the load tester's simulated users). */
  extraKinds?: ActorBehavior<any, any>[];
  extraServices?: Record<string, unknown>;
  trace?: (at: number, id: string, msg: { type: string }) => void;
  /**
   * Draws uploaded videos' vectors as node `catalogNodeId` would (default: this node): nodes that replicate
   * one catalog in lockstep (the parallel simulation) give the same upload the same vector.
   */
  catalogNodeId?: string;
}

export interface FeedNode extends EmbeddedNode {
  readonly feed: FeedServices;
  readonly world: SyntheticWorld;
  /**
   * The configured ranker (undefined when `options.ranker` was given). With a trained model it is an
   * `OnnxFeedRanker`: hot-swap it with `swap(onnxBytes, version)` (coord/model-sync).
   */
  readonly ranker: FeedRanker | undefined;
  /**
   * Adds a new video to this node's catalog replica and content index, and tells its actor (which puts it
   * on the viral ladder). Returns its id. `announce` false skips telling the actor: a replica in a
   * lockstep group whose other member hosts the actor (the parallel simulation).
   */
  upload(meta: { category: number; durationMs: number; authorId: number }, announce?: boolean): number;
  /**
   * Adds a video another node accepted (cluster uploads) to this node's catalog replica and content index,
   * without telling its actor (its owner applies the logged upload). False if the id is already there.
   */
  addVideo(v: { id: number; category: number; authorId: number; durationMs: number; vector: Float32Array }): boolean;
  /** The content (ANN) index over the catalog's vectors. */
  readonly contentIndex: AnnIndex;
}

/** Above this many videos the content index is HNSW; below, exact search is as fast and exact. */
const EXACT_INDEX_MAX = 5_000;

/**
 * A node hosting the recommender: catalog + content index, read models, per-node aggregation, the feed
 * pipeline (candidates -> ranking -> exploration -> policy) and the session/video/cohort/coordinator actors.
 */
export function createFeedNode(o: FeedNodeOptions): FeedNode {
  const c = o.config;
  const log = o.log.child({ module: "feed-node" });
  const nodeId = o.nodeId ?? "embedded";
  const world = o.world ?? new SyntheticWorld(worldParamsFor(c.synthetic.params), c.synthetic.seed, c.synthetic.users, c.simulate.videos);
  const t0 = performance.now();
  const catalog = new SyntheticFeedCatalog(world, c.dims.content);
  const index: AnnIndex =
    catalog.size <= EXACT_INDEX_MAX ? new BruteForceIndex(c.dims.content, "cosine") : HnswIndex.create(c.dims.content, "cosine", { ...c.retrieval.hnsw, capacity: Math.max(c.retrieval.hnsw.capacity, catalog.size) });
  for (let id = 0; id < catalog.size; id++) index.add(id, catalog.get(id)!.vector);
  log.info({ videos: catalog.size, dims: c.dims.content, index: catalog.size <= EXACT_INDEX_MAX ? "exact" : "hnsw", ms: Math.round(performance.now() - t0) }, "catalog indexed");

  const readModels = new ReadModels({
    trendingHalfLifeMs: c.retrieval.trendingHalfLifeMs,
    noveltyRate: c.exploration.noveltyRate,
    maxCategoryShare: c.policy.categoryShareCap,
    maxCategoryRun: c.policy.maxCategoryRun,
    exposurePenalty: c.policy.exposurePenalty,
    exposureHalfLifeMs: c.feed.exposureHalfLifeMs,
  });
  const coEngagement = new CoEngagementIndex({ window: c.retrieval.coEngagementWindow, maxNeighbors: 100 });
  // a node's random stream, by node id (a catalog replica draws uploads as the node it mirrors would)
  const nodeRng = (id: string) => createRng(c.simulate.seed).fork("feed-node:" + id);
  const rng = nodeRng(nodeId);
  const generator = new CandidateGenerator(
    [
      new ContentSource(index),
      new CollaborativeSource(coEngagement),
      new TrendingSource(readModels.trending),
      new ColdStartSource(readModels.pool),
      new ExplorationSource(catalog, rng.fork("exploration")),
    ],
    c.retrieval.quotas,
  );
  const novelty = new NoveltyInjector(c.exploration.noveltyRate, c.exploration.protectTopSlots);
  const maskRng = rng.fork("novelty");
  const bandit = new LinUcbBandit(c.exploration.linucb);
  const session: SessionModelParams = {
    dims: c.dims.content,
    categories: catalog.numCategories,
    seenWindow: c.feed.seenWindow,
    recentMax: c.feed.recentMax,
    shortRate: c.interest.shortRate,
    longDecay: c.feed.longDecay,
    discoveryPrior: c.exploration.discovery.priorStrength,
  };
  const configured = o.ranker === undefined ? createFeedRanker(c.feed.ranker, { dims: c.dims.content, log }) : undefined;
  const pipeline = new FeedPipeline({
    catalog,
    generator,
    ranker: o.ranker ?? (() => configured!),
    weights: c.ranking.weights,
    explorationMask: (count) => {
      novelty.setRate(readModels.noveltyRate);
      const mask = new Uint8Array(count);
      novelty.slots(count, maskRng, mask);
      return mask;
    },
    isFlagged: (id) => readModels.flaggedVideos.has(id),
    demotion: c.feed.integrityDemotion,
    candidates: c.retrieval.candidates,
    reusePages: c.retrieval.reusePages,
    session,
    select: policySelector(
      { ...c.policy, integrityDemotion: c.feed.integrityDemotion },
      readModels.flaggedVideos,
      () => ({ maxCategoryRun: readModels.maxCategoryRun, categoryShareCap: readModels.maxCategoryShare }),
    ),
    bandit,
    uniform: rng.fork("discovery"),
    discoveryWeight: 1,
    coldStartPriority: 0.5,
    warmupUntilMs: c.feed.warmupMs > 0 ? o.clock.now() + c.feed.warmupMs : 0,
    // videos on the viral ladder are exempt: their exposure is the ladder's budget, spent on purpose
    exposurePenalty: (id, nowMs) => {
      const w = readModels.exposurePenalty;
      return w > 0 && !readModels.stageOf.has(id) ? w * Math.log1p(readModels.relativeExposure(id, catalog.size, nowMs)) : 0;
    },
  });
  const feed: FeedServices = {
    pipeline, catalog, readModels, coEngagement, session, bandit,
    aggregator: undefined as unknown as EngagementAggregator,
    feedSize: c.feed.size,
    cohorts: c.feed.cohorts,
    viral: { ...c.feed.viral, weights: c.coldStart.weights },
    botDetector: c.integrity.bot,
    farmDetector: c.integrity.farm,
    homogenization: {
      stabilizer: { ...c.homogenization },
      windowHalfLifeMs: c.feed.exposureHalfLifeMs,
    },
    integrity: { farmWindowMs: c.integrity.farm.windowMs * 5 },
  };
  const node = createEmbeddedNode({
    config: c,
    clock: o.clock,
    log: o.log,
    kinds: [
      userSessionActor,
      videoActor,
      cohortActor,
      coordinatorKind({ viral: viralCoordinator, homogenization: homogenizationCoordinator, integrity: integrityCoordinator, "model-sync": modelSyncCoordinator }),
      ...(o.extraKinds ?? []),
    ],
    services: { feed, ...o.extraServices },
    storage: o.storage ?? "config",
    trace: o.trace,
  });
  feed.aggregator = new EngagementAggregator(node.system, readModels, catalog, { nodeId, flushMs: c.feed.flushMs, log: o.log });
  feed.aggregator.start();
  const uploadRng = (o.catalogNodeId === undefined ? rng : nodeRng(o.catalogNodeId)).fork("uploads");
  const upload = (meta: { category: number; durationMs: number; authorId: number }, announce = true): number => {
    const id = catalog.size;
    const vector = catalog.vectorFor(meta.category, uploadRng);
    catalog.add({ id, category: meta.category, authorId: meta.authorId, durationMs: meta.durationMs, vector });
    index.add(id, vector);
    if (announce) node.system.tell("video/v" + id, {
      type: "video.upload", authorId: "a" + meta.authorId, durationMs: meta.durationMs, category: meta.category, at: o.clock.now(),
    });
    return id;
  };
  return {
    ...node,
    feed,
    world,
    upload,
    contentIndex: index,
    addVideo(v) {
      if (catalog.get(v.id) !== undefined) return false;
      catalog.add({ id: v.id, category: v.category, authorId: v.authorId, durationMs: v.durationMs, vector: v.vector });
      index.add(v.id, v.vector);
      return true;
    },
    ranker: configured,
    async close() {
      feed.aggregator.stop();
      await node.close();
      if (configured instanceof OnnxFeedRanker) await configured.close();
    },
  };
}
