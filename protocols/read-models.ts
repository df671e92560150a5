/**
 * Updates of the read-mostly state every node keeps a replica of (DESIGN.md §3: "no hot actor on the feed
 * path"). Coordinators publish them; in cluster mode they are broadcast to every node.
 */
export type ReadModelUpdate =
  /** A new video enters an exposure pool (stage of the viral ladder) in these cohorts. */
  | { type: "pool.add"; videoId: number; cohorts: string[]; budget: number; stage: number; at: number }
  /** The video leaves every pool (promoted to the next stage's pools, graduated or retired). */
  | { type: "pool.remove"; videoId: number; stage: number }
  | { type: "flag.video"; videoId: number; reason: string }
  | { type: "flag.session"; sessionKey: string; reason: string }
  /** The homogenization stabilizer's current settings. */
  | { type: "novelty"; rate: number; maxCategoryShare: number; maxCategoryRun: number; exposurePenalty: number };

export type ReadModelUpdateType = ReadModelUpdate["type"];
