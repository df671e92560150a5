import type { FeedReply, SessionMsg, VideoStats, VideoUpload } from "../../protocols/index.ts";

/** One node's actor-system figures, as the gateway reports them. */
export interface BackendNodeStatus {
  nodeId: string;
  activeActors: number;
  /** Messages waiting in mailboxes or being handled. */
  mailboxBacklog: number;
  processed: number;
  failed: number;
  mailboxOverflows: number;
  askTimeouts: number;
}

/**
 * What the gRPC gateway needs from the recommender. The embedded implementation talks to a local
 * ActorSystem; the cluster routes the same calls to the owning nodes.
 */
export interface FeedBackend {
  /** The session actor's `feed.request` reply; `undefined` when the session kind does not serve feeds. */
  getFeed(userId: string, count: number, at: number, timeoutMs: number): Promise<FeedReply | undefined>;
  /** Fire-and-forget to the user's session actor. Throws MailboxFullError when its mailbox is full. */
  tellSession(userId: string, msg: SessionMsg): void;
  /**
   * Enters a video into the catalog and tells its actor; returns the id it got. `requestedId` ("" = none)
   * is kept when the backend lets clients choose ids; a catalog that numbers its videos assigns its own.
   */
  uploadVideo(requestedId: string, msg: VideoUpload): string | Promise<string>;
  getVideoStats(videoId: string, timeoutMs: number): Promise<VideoStats>;
  /** Messages queued on this node (admission control reads it on every request: keep it O(1)). */
  mailboxBacklog(): number;
  nodes(): BackendNodeStatus[];
  /** The clock the backend's actors run on (epoch ms for serving). */
  now(): number;
}
