/**
 * Actor message unions (DESIGN.md §3). Each actor kind receives one union and switches on `type`
 * exhaustively. Later issues extend these unions; the codec test covers every member.
 */

/** Per-objective predictions attached to a served item. */
export interface Predictions {
  watchRatio: number;
  complete: number;
  rewatch: number;
  continue: number;
  skipFast: number;
}

/** One served feed item. */
export interface FeedItem {
  videoId: string;
  score: number;
  reason: string;
  modelVersion: string;
  predictions?: Predictions;
}

// ---- user-session -------------------------------------------------------------------------------

/** A (simulated or real) user opens a session. */
export interface SessionStart { type: "session.start"; at: number; cohort?: string }
/** Timer tick that drives a simulated session's next action. */
export interface SessionTick { type: "session.tick" }
/** A feed is requested; the reply is a `FeedReply`. */
export interface FeedRequest { type: "feed.request"; count: number; at: number }
/** The user watched `watchMs` of a video lasting `durationMs`. */
export interface SessionWatch { type: "session.watch"; videoId: string; watchMs: number; durationMs: number; at: number }
/** The user skipped a video after `watchMs`. */
export interface SessionSkip { type: "session.skip"; videoId: string; watchMs: number; at: number }
export interface SessionLike { type: "session.like"; videoId: string; at: number }
export interface SessionRewatch { type: "session.rewatch"; videoId: string; at: number }
export interface SessionShare { type: "session.share"; videoId: string; at: number }
/** The client displayed a served item (it may then be watched or skipped). */
export interface SessionImpression { type: "session.impression"; videoId: string; at: number }
/** The user left; the session actor may passivate afterwards. */
export interface SessionLeave { type: "session.leave"; at: number }
/** Asks for a snapshot of the session's counters. */
export interface SessionGetState { type: "session.get-state" }

export type SessionMsg =
  | SessionStart
  | SessionTick
  | FeedRequest
  | SessionWatch
  | SessionSkip
  | SessionLike
  | SessionRewatch
  | SessionShare
  | SessionImpression
  | SessionLeave
  | SessionGetState;

/** Reply to `feed.request`. */
export interface FeedReply { items: FeedItem[]; modelVersion: string }

// ---- video --------------------------------------------------------------------------------------

/** A new video enters the catalog (starts cold start). */
export interface VideoUpload {
  type: "video.upload";
  authorId: string;
  durationMs: number;
  category: number;
  at: number;
  /** What the uploader called it (absent when empty): kept by the video actor, returned with its stats. */
  title?: string;
  tags?: string[];
}
/** One watch event reported straight to the video (small runs; large runs pre-aggregate). */
export interface VideoWatch { type: "video.watch"; sessionKey: string; watchMs: number; durationMs: number; at: number }
/** Per-node pre-aggregated engagement counters, flushed on a tick. */
export interface VideoEngagement {
  type: "video.engagement";
  stage: number;
  /** Watches reported (the denominator of the stage's rates; impressions may go unwatched). */
  watches: number;
  /** Sum of watch ratios (for the stage's mean). */
  watchRatioSum: number;
  impressions: number;
  watchMs: number;
  completions: number;
  skips: number;
  likes: number;
  rewatches: number;
}
/** Asks for the video's counters; the reply is a `VideoStats`. */
export interface VideoGetStats { type: "video.get-stats" }
/** The viral coordinator moved the video to another exposure stage (-1 = retired). */
export interface VideoSetStage { type: "video.set-stage"; stage: number }

export type VideoMsg = VideoUpload | VideoWatch | VideoEngagement | VideoGetStats | VideoSetStage;

/** Reply to `video.get-stats`. */
export interface VideoStats {
  videoId: string;
  stage: number;
  impressions: number;
  watchMs: number;
  completions: number;
  skips: number;
  likes: number;
  rewatches: number;
  /** From the upload ("" and [] for catalog videos, which carry no text here). */
  title: string;
  tags: string[];
  /** -1 when neither the upload nor the node's catalog knows the video. */
  category: number;
  /** 0 when unknown. */
  durationMs: number;
}

// ---- cohort -------------------------------------------------------------------------------------

export interface CohortJoin { type: "cohort.join"; userKey: string }
export interface CohortLeave { type: "cohort.leave"; userKey: string }
/** A summary of member engagement per category, used for baselines and trending. */
export interface CohortSummary {
  type: "cohort.summary";
  category: number;
  watches: number;
  watchRatioSum: number;
  completions: number;
  skips: number;
}

/** Asks a cohort for its per-category baselines; the reply is a `CohortBaselines`. */
export interface CohortGetBaselines { type: "cohort.get-baselines" }

export type CohortMsg = CohortJoin | CohortLeave | CohortSummary | CohortGetBaselines;

/** Per-category engagement baselines of a cohort (means; global fallbacks where a category is thin). */
export interface CohortBaselines {
  members: number;
  watchRatio: number[];
  completion: number[];
  skipRate: number[];
}

// ---- coordinators -------------------------------------------------------------------------------

/** A video finished an exposure stage with these results. */
export interface ViralStageResult {
  type: "viral.stage-result";
  videoId: string;
  stage: number;
  category: number;
  impressions: number;
  /** Mean watch ratio, completion rate and fast-skip rate over the stage's impressions. */
  watchRatio: number;
  completion: number;
  skipRate: number;
}
/** A node's periodic diversity summary for the homogenization monitor. */
export interface HomogenizationSummary {
  type: "homog.summary";
  node: string;
  exposures: number;
  distinctVideos: number;
  categoryCounts: number[];
  /** Exposures per video in this period (parallel arrays). */
  videoIds: number[];
  videoCounts: number[];
  /** Sum over served feeds of intra-list diversity, and the number of feeds. */
  ildSum: number;
  feeds: number;
}
/** A new video entered the catalog: the viral coordinator puts it in a stage-0 exposure pool. */
export interface ViralNewVideo { type: "viral.new-video"; videoId: string; category: number; at: number }
/** Asks a coordinator for its current metrics / state snapshot. */
export interface CoordGetState { type: "coord.get-state" }
/** A training run produced a new model version. */
export interface ModelTrained { type: "model.trained"; model: string; version: string; metrics: Record<string, number> }
/** An integrity signal from a video or session actor. */
export interface IntegritySignal { type: "integrity.signal"; subject: string; signal: string; weight: number; at: number }
/** A node's strong engagements (completions) of one flush window, for coordinated-activity detection. */
export interface IntegrityEngagements { type: "integrity.engagements"; node: string; sessions: string[]; videos: number[]; times: number[] }
/** Periodic coordinator timer. */
export interface CoordTick { type: "coord.tick" }

export type CoordMsg =
  | ViralStageResult
  | ViralNewVideo
  | HomogenizationSummary
  | ModelTrained
  | IntegritySignal
  | IntegrityEngagements
  | CoordTick
  | CoordGetState;

/** Every actor message. */
export type ActorMsg = SessionMsg | VideoMsg | CohortMsg | CoordMsg;
export type ActorMsgType = ActorMsg["type"];

/** What tell/ask accept: a known message, or any object with a `type` (kinds defined outside protocols/). */
export type AnyMsg = ActorMsg | { readonly type: string; readonly [field: string]: unknown };
