import type { Bandit, BotDetectorConfig, CoEngagementIndex, FarmDetectorConfig, FeedCatalog, FeedPipeline, SessionModelParams, StabilizerConfig } from "../../models/index.ts";
import type { EngagementAggregator } from "./engagement-aggregator.ts";
import type { ReadModels } from "./read-models.ts";

/** The viral ladder's parameters (config `feed.viral` and `coldStart.weights`). */
export interface ViralParams {
  stageBudgets: readonly number[];
  stageCohorts: readonly number[];
  promoteAt: readonly number[];
  weights: { watchTime: number; completion: number; skip: number };
}

/** Node-level services the feed actors reach through `ctx.services.feed`. */
export interface FeedServices {
  pipeline: FeedPipeline;
  catalog: FeedCatalog;
  readModels: ReadModels;
  aggregator: EngagementAggregator;
  /** Node-local item-item co-engagement, fed by this node's sessions (collaborative retrieval). */
  coEngagement: CoEngagementIndex;
  session: SessionModelParams;
  feedSize: number;
  cohorts: number;
  viral: ViralParams;
  /** LinUCB over exploration candidates (shared by the node's sessions); absent = no bandit bonus. */
  bandit?: Bandit;
  /** Bot-like session detection; absent = off. */
  botDetector?: BotDetectorConfig;
  /** Coordinated-engagement (farm) detection at the integrity coordinator; absent = off. */
  farmDetector?: FarmDetectorConfig;
  homogenization: { stabilizer: StabilizerConfig; windowHalfLifeMs: number };
  integrity: { farmWindowMs: number };
}

export function feedServices(services: Record<string, unknown>): FeedServices {
  const f = services.feed as FeedServices | undefined;
  if (f === undefined) throw new Error("feed services are not installed on this node (services.feed)");
  return f;
}

/** Actor key of video `n` (`video/v<n>`), and back; NaN for a key that is not one. */
export const videoKey = (n: number): string => "v" + n;
export function videoNumber(key: string): number {
  return key.charCodeAt(0) === 118 /* v */ ? Number(key.slice(1)) : NaN;
}
