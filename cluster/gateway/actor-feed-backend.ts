import { randomUUID } from "node:crypto";
import { ActorKind, actorId, type FeedReply, type SessionMsg, type VideoStats, type VideoUpload } from "../../protocols/index.ts";
import type { ActorSystem } from "../../actors/index.ts";
import type { BackendNodeStatus, FeedBackend } from "./feed-backend.ts";

/** Adds an uploaded video to the node's catalog (and tells its actor); returns the id it was given. */
export type CatalogUploader = (msg: VideoUpload) => string;

/** FeedBackend over the local ActorSystem (the embedded mode). */
export class ActorFeedBackend implements FeedBackend {
  /**
   * Without an `uploader`, uploads only tell the video actor (ids chosen by the client or `v-<uuid>`);
   * with one, the node's catalog assigns the id so the new video can be retrieved and served.
   */
  constructor(
    private readonly system: ActorSystem,
    private readonly nodeId: string,
    private readonly uploader?: CatalogUploader,
  ) {}

  getFeed(userId: string, count: number, at: number, timeoutMs: number): Promise<FeedReply | undefined> {
    return this.system.ask<FeedReply | undefined>(actorId(ActorKind.Session, userId), { type: "feed.request", count, at }, timeoutMs);
  }

  tellSession(userId: string, msg: SessionMsg): void {
    this.system.tell(actorId(ActorKind.Session, userId), msg);
  }

  uploadVideo(requestedId: string, msg: VideoUpload): string | Promise<string> {
    if (this.uploader !== undefined) return this.uploader(msg);
    const videoId = requestedId === "" ? `v-${randomUUID()}` : requestedId;
    this.system.tell(actorId(ActorKind.Video, videoId), msg);
    return videoId;
  }

  getVideoStats(videoId: string, timeoutMs: number): Promise<VideoStats> {
    return this.system.ask<VideoStats>(actorId(ActorKind.Video, videoId), { type: "video.get-stats" }, timeoutMs);
  }

  mailboxBacklog(): number {
    const s = this.system.stats();
    // delivered counts messages that entered a mailbox; each leaves it as processed or failed.
    return Math.max(0, s.delivered - s.processed - s.failed);
  }

  nodes(): BackendNodeStatus[] {
    const s = this.system.stats();
    return [
      {
        nodeId: this.nodeId,
        activeActors: s.active,
        mailboxBacklog: Math.max(0, s.delivered - s.processed - s.failed),
        processed: s.processed,
        failed: s.failed,
        mailboxOverflows: s.overflow,
        askTimeouts: s.askTimeouts,
      },
    ];
  }

  now(): number {
    return this.system.clock.now();
  }
}
