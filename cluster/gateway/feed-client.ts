import type { DeepPartial, fypv1 } from "../../protocols/index.ts";

/** A call that ended with a non-OK status, as a client sees it. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    /** Trailing metadata the server sent (fyp-error-code, fyp-accepted, ...). */
    readonly trailers: Record<string, string> = {},
  ) {
    super(`${code} ${details}`);
    this.name = "RpcError";
  }
}

export interface CallOptions {
  /** Relative deadline; none when omitted. */
  deadlineMs?: number;
}

/** A typed FeedService client (load generator, other services). Every method rejects with RpcError. */
export interface FeedClient {
  getFeed(req: DeepPartial<fypv1.GetFeedRequest>, opts?: CallOptions): Promise<fypv1.GetFeedResponse>;
  reportEvents(events: DeepPartial<fypv1.Event>[], opts?: CallOptions): Promise<fypv1.ReportEventsResponse>;
  uploadVideo(req: DeepPartial<fypv1.UploadVideoRequest>, opts?: CallOptions): Promise<fypv1.UploadVideoResponse>;
  getVideoStats(req: DeepPartial<fypv1.GetVideoStatsRequest>, opts?: CallOptions): Promise<fypv1.VideoStats>;
  getClusterStatus(opts?: CallOptions): Promise<fypv1.ClusterStatus>;
  /** Resolves once connected (or rejects after `timeoutMs`). */
  waitReady(timeoutMs: number): Promise<void>;
  close(): void;
}

export interface FeedClientOptions {
  /** `host:port`, `grpc://host:port` (plaintext) or `grpcs://host:port` (TLS). */
  target: string;
  /** PEM CA bundle that signed the server certificate (TLS); system roots when omitted. */
  caPem?: Buffer;
  /** The name to check the server certificate against, when it differs from the target host. */
  serverName?: string;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
}

/** `grpcs://h:p` -> { address: "h:p", tls: true }. */
export function parseTarget(target: string): { address: string; tls: boolean } {
  const m = /^(grpcs?):\/\/(.+)$/.exec(target);
  if (m === null) return { address: target, tls: false };
  return { address: m[2]!, tls: m[1] === "grpcs" };
}
