// Generated from feed.proto by codegen.ts — do not edit (node --import tsx protocols/grpc/codegen.ts).
// Message shapes as @grpc/proto-loader delivers them with FEED_LOADER_OPTIONS (feed-proto.ts);
// an enum field holds a number when the value is not one this schema knows.

export const FeedServiceMethods = {
  GetFeed: { path: "/fyp.v1.FeedService/GetFeed", requestStream: false, responseStream: false },
  ReportEvents: { path: "/fyp.v1.FeedService/ReportEvents", requestStream: true, responseStream: false },
  UploadVideo: { path: "/fyp.v1.FeedService/UploadVideo", requestStream: false, responseStream: false },
  GetVideoStats: { path: "/fyp.v1.FeedService/GetVideoStats", requestStream: false, responseStream: false },
  GetClusterStatus: { path: "/fyp.v1.FeedService/GetClusterStatus", requestStream: false, responseStream: false },
} as const;

/** Request and response types of each FeedService method. */
export interface FeedServiceTypes {
  GetFeed: { request: GetFeedRequest; response: GetFeedResponse };
  ReportEvents: { request: Event; response: ReportEventsResponse };
  UploadVideo: { request: UploadVideoRequest; response: UploadVideoResponse };
  GetVideoStats: { request: GetVideoStatsRequest; response: VideoStats };
  GetClusterStatus: { request: GetClusterStatusRequest; response: ClusterStatus };
}

/** Where and when the feed is requested. */
export interface FeedContext {
  /** Client time of the request (epoch ms); 0 = server time. */
  atMs: number;
  /** Free-form device class, e.g. "ios", "android", "web" (<= 32 chars). */
  device: string;
  /** BCP-47 language tag, e.g. "en-US" (<= 35 chars). */
  locale: string;
  /** The client's session identifier, if it keeps one (<= 128 chars). */
  sessionId: string;
}

export interface GetFeedRequest {
  userId: string;
  /** Items wanted, 1..grpc.maxFeedCount (default 100). */
  count: number;
  context: FeedContext | null;
}

/** Per-objective predictions of the ranker for one item. */
export interface Predictions {
  watchRatio: number;
  complete: number;
  rewatch: number;
  continueSession: number;
  skipFast: number;
}

export interface FeedItem {
  videoId: string;
  score: number;
  /** Why the item is in the feed ("similar to what you watched", "exploring", ...). */
  reason: string;
  modelVersion: string;
  predictions: Predictions | null;
}

export interface GetFeedResponse {
  items: FeedItem[];
  modelVersion: string;
  /** Server time the feed was produced (epoch ms). */
  servedAtMs: number;
}

export const EventType = {
  EVENT_TYPE_UNSPECIFIED: "EVENT_TYPE_UNSPECIFIED",
  EVENT_TYPE_IMPRESSION: "EVENT_TYPE_IMPRESSION",
  EVENT_TYPE_WATCH: "EVENT_TYPE_WATCH",
  EVENT_TYPE_SKIP: "EVENT_TYPE_SKIP",
  EVENT_TYPE_LIKE: "EVENT_TYPE_LIKE",
  EVENT_TYPE_SHARE: "EVENT_TYPE_SHARE",
  EVENT_TYPE_REWATCH: "EVENT_TYPE_REWATCH",
  EVENT_TYPE_SESSION_END: "EVENT_TYPE_SESSION_END",
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * One interaction. video_id is required for every type but SESSION_END; WATCH needs watch_ms and
 * duration_ms; SKIP needs watch_ms.
 */
export interface Event {
  userId: string;
  type: EventType | number;
  videoId: string;
  watchMs: number;
  durationMs: number;
  /** Client time of the event (epoch ms); 0 = server time. */
  atMs: number;
  /**
   * Client-chosen id of this event (unique per user, [A-Za-z0-9_.:-]{1,128}): a retried event with the same
   * id is stored once (cluster: JetStream's duplicate window). Empty: the id is derived from the event's
   * fields when at_ms is set; an event with neither is at-least-once when retried.
   */
  eventId: string;
}

export interface ReportEventsResponse {
  /** Events accepted (and, in cluster mode, durably logged) by this call. */
  accepted: number;
}

export interface UploadVideoRequest {
  /**
   * Empty: the server assigns an id. A node whose catalog numbers its videos always assigns its own;
   * the response carries the id the video got.
   */
  videoId: string;
  authorId: string;
  durationMs: number;
  /** Category index, 0..grpc.maxCategory. */
  category: number;
  title: string;
  tags: string[];
  atMs: number;
}

/**
 * The upload is accepted; the viral coordinator places the video in a cold-start pool shortly after
 * (GetVideoStats shows its stage).
 */
export interface UploadVideoResponse {
  videoId: string;
}

export interface GetVideoStatsRequest {
  videoId: string;
}

export interface VideoStats {
  videoId: string;
  /** -1 regular catalog video, 0..n-1 on the viral ladder, n graduated, -2 retired. */
  stage: number;
  impressions: number;
  watchMs: number;
  completions: number;
  skips: number;
  likes: number;
  rewatches: number;
  /** From the upload; empty for catalog videos. */
  title: string;
  tags: string[];
  /** -1 when the serving node knows neither the upload nor a catalog entry. */
  category: number;
  /** 0 when unknown. */
  durationMs: number;
}

export interface GetClusterStatusRequest {
}

export interface NodeStatus {
  nodeId: string;
  activeActors: number;
  /** Messages waiting in mailboxes or being handled. */
  mailboxBacklog: number;
  processedMessages: number;
  failedMessages: number;
  mailboxOverflows: number;
  askTimeouts: number;
  /** gRPC requests being handled right now. */
  inFlightRequests: number;
  /** Requests refused with RESOURCE_EXHAUSTED since start. */
  shedRequests: number;
}

export interface ClusterStatus {
  cluster: string;
  protocolVersion: number;
  uptimeMs: number;
  nodes: NodeStatus[];
  modelVersions: string[];
}
