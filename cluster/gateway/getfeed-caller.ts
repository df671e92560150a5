import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { parseTarget } from "./feed-client.ts";
import { GrpcStatus } from "./status-codes.ts";
import { varint, varintSize } from "./feed-wire.ts";

/** How one GetFeed call ended, as the load generator counts it. */
export interface GetFeedOutcome {
  /** gRPC status code (0 = OK). */
  code: number;
  /** Response message bytes received (0 for a refusal). */
  bytes: number;
}

/** GetFeed only, for load generation; resolves with the status instead of rejecting. */
export interface GetFeedCaller {
  getFeed(userId: string, count: number, deadlineMs: number): Promise<GetFeedOutcome>;
  /** Resolves once the HTTP/2 connection is up. */
  waitReady(timeoutMs: number): Promise<void>;
  close(): void;
}

export interface GetFeedCallerOptions {
  /** `host:port` or `grpc://host:port` (plaintext; the load generator drives loopback servers). */
  target: string;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
}

const PATH = "/fyp.v1.FeedService/GetFeed";

/**
 * The connection's receive window (HTTP/2 flow control), as load generators set it (h2load: 1 GiB; grpc-go
 * grows it to 16 MiB by BDP probing). With HTTP/2's default 64 KiB the server may have only ~90 GetFeed answers
 * on the wire unacknowledged: any pause of this process's loop stopped the server's writes, and at 4,000 req/s
 * answers the server had finished queued in its session for over a second waiting for WINDOW_UPDATEs (seen as
 * the server session's remoteWindowSize at 0 with hundreds of frames queued).
 */
export const RECEIVE_WINDOW_BYTES = 16 << 20;

/**
 * A lean GetFeed client straight on node:http2: the same wire requests as the grpc-js client (HTTP/2 POST,
 * `application/grpc`, `grpc-timeout`, length-prefixed protobuf), but without grpc-js's per-call machinery
 * (interceptors, call stacks, metadata objects, response decoding), which made the generator cost as much
 * CPU per request as the server it measured. The response body is counted, not decoded.
 *
 * Deadlines: the server enforces `grpc-timeout` itself; a call still open at its deadline is reported
 * DEADLINE_EXCEEDED here (one sweep timer, not one per call) but its stream is left to the server to finish,
 * not reset: under overload hundreds of RST_STREAMs a second trip node's rapid-reset protection
 * (CVE-2023-44487), and the server drops the whole connection with everything in flight on it.
 * A connection that closes is replaced on the next call.
 */
export function createGetFeedCaller(o: GetFeedCallerOptions): GetFeedCaller {
  const { address, tls } = parseTarget(o.target);
  if (tls) throw new Error("createGetFeedCaller: plaintext targets only (use createFeedClient for TLS)");
  let closed = false;
  let sessionError: Error | null = null;
  const open = (): ClientHttp2Session => {
    const s = connect(`http://${address}`);
    // on connect: before any request (requests made earlier are queued behind this listener)
    s.once("connect", () => s.setLocalWindowSize(RECEIVE_WINDOW_BYTES));
    sessionError = null;
    s.on("error", (e) => {
      if (s === session) sessionError = e;
    });
    return s;
  };
  let session = open();
  interface Pending {
    deadline: number;
    finish(code: number): void;
  }
  const pending = new Set<Pending>();
  const sweep = setInterval(() => {
    if (pending.size === 0) return;
    const now = performance.now();
    for (const p of pending) if (now >= p.deadline) p.finish(GrpcStatus.DEADLINE_EXCEEDED);
  }, 5);
  sweep.unref();

  return {
    getFeed(userId, count, deadlineMs) {
      return new Promise<GetFeedOutcome>((resolve) => {
        if (closed) {
          resolve({ code: GrpcStatus.CANCELLED, bytes: 0 });
          return;
        }
        if (session.closed || session.destroyed) session = open();
        const headers: Record<string, string> = {
          [constants.HTTP2_HEADER_METHOD]: "POST",
          [constants.HTTP2_HEADER_PATH]: PATH,
          "content-type": "application/grpc",
          te: "trailers",
          "grpc-timeout": `${Math.max(1, Math.ceil(deadlineMs))}m`,
        };
        if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
        const stream = session.request(headers);
        let bytes = 0;
        let status: number | undefined;
        let done = false;
        const p: Pending = {
          deadline: performance.now() + deadlineMs,
          finish(code) {
            if (done) return;
            done = true;
            pending.delete(p);
            resolve({ code, bytes });
          },
        };
        pending.add(p);
        const statusOf = (h: IncomingHttpHeaders): void => {
          const s = h["grpc-status"];
          if (typeof s === "string") status = Number(s);
        };
        stream.on("response", statusOf); // a refusal comes trailers-only, with its status in the headers
        stream.on("trailers", statusOf);
        stream.on("data", (chunk: Buffer) => (bytes += chunk.length));
        stream.on("error", () => undefined); // the close below reports it
        stream.on("close", () => p.finish(status ?? (sessionError !== null ? GrpcStatus.UNAVAILABLE : GrpcStatus.INTERNAL)));
        stream.end(encodeGetFeedRequest(userId, count));
      });
    },
    waitReady(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        if (session.connecting === false && !session.destroyed) return resolve();
        const t = setTimeout(() => reject(new Error(`GetFeed caller: no connection to ${address} within ${timeoutMs} ms`)), timeoutMs);
        session.once("connect", () => {
          clearTimeout(t);
          resolve();
        });
        session.once("error", (e) => {
          clearTimeout(t);
          reject(e);
        });
      });
    },
    close() {
      closed = true;
      clearInterval(sweep);
      for (const p of pending) p.finish(GrpcStatus.CANCELLED);
      session.destroy();
    },
  };
}

/** A length-prefixed `fyp.v1.GetFeedRequest { user_id = 1; count = 2 }` (the gRPC message frame). */
export function encodeGetFeedRequest(userId: string, count: number): Buffer {
  if (!Number.isInteger(count) || count < 0 || count > 0x7fffffff) throw new RangeError(`GetFeed count ${count}: a non-negative int32 is expected`);
  const id = Buffer.from(userId, "utf8");
  const idLen = varintSize(id.length);
  const msgLen = 1 + idLen + id.length + (count > 0 ? 1 + varintSize(count) : 0);
  const out = Buffer.allocUnsafe(5 + msgLen);
  out[0] = 0; // not compressed
  out.writeUInt32BE(msgLen, 1);
  let i = 5;
  out[i++] = 0x0a; // field 1, length-delimited
  i = varint(out, i, id.length);
  id.copy(out, i);
  i += id.length;
  if (count > 0) {
    out[i++] = 0x10; // field 2, varint
    i = varint(out, i, count);
  }
  return out;
}
