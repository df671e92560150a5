import type { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { FEED_SERVICE_NAME, InvalidArgumentError, type fypv1 } from "../../protocols/index.ts";
import { toCallStatus } from "./error-status.ts";
import type { FeedGateway } from "./feed-gateway.ts";
import type { RpcMethod } from "./gateway-metrics.ts";
import { GrpcStatus } from "./status-codes.ts";

/** GetFeed's message codec: the decoder never throws (bytes that are not a GetFeedRequest come back as `malformed`). */
export interface GetFeedCodec {
  decode(message: Buffer): { request: fypv1.GetFeedRequest } | { malformed: string };
  encode(response: fypv1.GetFeedResponse): Buffer;
}

export interface FrontDoorOptions {
  gateway: FeedGateway;
  getFeed: GetFeedCodec;
  maxMessageBytes: number;
}

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number) => void;

/** The methods under admission control, by HTTP/2 path (GetClusterStatus, health and reflection never are). */
const ADMITTED_PATHS: ReadonlyMap<string, RpcMethod> = new Map(
  (["GetFeed", "ReportEvents", "UploadVideo", "GetVideoStats"] as const).map((m) => [`/${FEED_SERVICE_NAME}/${m}`, m]),
);
const GET_FEED_PATH = `/${FEED_SERVICE_NAME}/GetFeed`;

/**
 * The gRPC server's front door, on the HTTP/2 `stream` event, before grpc-js builds a call:
 *
 * - **Admission** for every admitted method when its headers arrive: a refused stream is answered
 *   trailers-only right there, its body dropped undecoded. Through grpc-js a refusal cost ~0.17-0.24 ms of
 *   CPU (call object, metadata, a deadline timer, decoding, status trailers); at twice the node's capacity,
 *   refusing alone took the CPU the admitted requests needed, and requests queued in the socket for a second.
 * - **GetFeed**, the serving path's one hot call, is served here too: the same statuses, trailers and messages
 *   as through grpc-js (a test drives both with the grpc-js client), without its per-call machinery (a writable
 *   stream object, interceptor chain, Metadata objects and a timer per call), which cost more CPU than the
 *   feed itself. Anything unusual (compressed messages, an unparsable `grpc-timeout`, another content type)
 *   goes to grpc-js, which answers it as before.
 *
 * Everything else (the other methods once admitted, health, reflection) goes to grpc-js's own listener.
 */
export function installFrontDoor(h2: EventEmitter, o: FrontDoorOptions): void {
  const reading = new ReadingBodies();
  h2.once("close", () => reading.close());
  const inner = h2.listeners("stream") as StreamListener[];
  h2.removeAllListeners("stream");
  const grpcJs: StreamListener = (stream, headers, flags) => {
    for (const l of inner) l.call(h2, stream, headers, flags);
  };
  h2.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number) => {
    const path = headers[":path"];
    const method = path === undefined ? undefined : ADMITTED_PATHS.get(path);
    if (method === undefined) return grpcJs(stream, headers, flags);
    const auth = headers.authorization;
    const authorization = typeof auth === "string" ? auth : undefined;
    const refused = o.gateway.refuseEarly(method, authorization);
    if (refused !== null) {
      stream.on("error", noop);
      stream.resume(); // drop the body
      return answerError(stream, refused);
    }
    if (method === "GetFeed" && plainGrpc(headers)) {
      const deadline = deadlineOf(headers["grpc-timeout"]);
      if (deadline !== null) return serveGetFeed(stream, deadline, authorization, o, reading);
    }
    grpcJs(stream, headers, flags);
  });
}

function noop(): void {}

/** Uncompressed gRPC (what grpc-js would accept without a content-type refusal or a decompressor). */
function plainGrpc(h: IncomingHttpHeaders): boolean {
  const ct = h["content-type"];
  const enc = h["grpc-encoding"];
  return typeof ct === "string" && ct.startsWith("application/grpc") && (enc === undefined || enc === "identity");
}

const TIMEOUT = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The call's deadline (epoch ms) from `grpc-timeout` as grpc-js reads it; Infinity without one, null if unparsable. */
function deadlineOf(v: string | string[] | undefined): number | null {
  if (v === undefined) return Infinity;
  const m = TIMEOUT.exec(String(v));
  if (m === null) return null;
  return Date.now() + ((Number(m[1]) * UNIT_MS[m[2]!]!) | 0);
}

/**
 * Calls whose request body has not ended yet, by deadline: one sweep answers DEADLINE_EXCEEDED to those whose
 * deadline passed (a client that never half-closes would otherwise hold its stream; grpc-js kept a timer per
 * call for this). The timer runs only while there are such calls, and is unref'd.
 */
class ReadingBodies {
  private readonly pending = new Map<ServerHttp2Stream, number>();
  private timer: NodeJS.Timeout | null = null;

  add(stream: ServerHttp2Stream, deadline: number): void {
    if (deadline === Infinity) return;
    this.pending.set(stream, deadline);
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), 50);
      this.timer.unref();
    }
  }

  delete(stream: ServerHttp2Stream): void {
    this.pending.delete(stream);
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [stream, deadline] of this.pending) {
      if (now < deadline) continue;
      this.pending.delete(stream);
      answerStatus(stream, GrpcStatus.DEADLINE_EXCEEDED, "Deadline exceeded");
    }
    if (this.pending.size === 0) this.close();
  }
}

function serveGetFeed(stream: ServerHttp2Stream, deadline: number, authorization: string | undefined, o: FrontDoorOptions, reading: ReadingBodies): void {
  stream.on("error", noop); // a client gone meanwhile: nothing to answer (the write checks below)
  reading.add(stream, deadline);
  stream.once("close", () => reading.delete(stream));
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  stream.on("data", (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    // One message and its 5-byte prefix; more than that is an oversized or a second message (both refused).
    if (size > o.maxMessageBytes + 10) {
      refused = true;
      answerStatus(stream, GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${size - 5} vs ${o.maxMessageBytes})`);
      return;
    }
    chunks.push(chunk);
  });
  stream.on("end", () => {
    reading.delete(stream);
    if (refused) return;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    // The length-prefixed messages, as grpc-js's decoder splits them (a trailing partial one is ignored).
    const messages: Buffer[] = [];
    for (let at = 0; at + 5 <= body.length; ) {
      const len = body.readUInt32BE(at + 1);
      if (len > o.maxMessageBytes) return answerStatus(stream, GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${len} vs ${o.maxMessageBytes})`);
      if (at + 5 + len > body.length) break;
      messages.push(body.subarray(at + 5, at + 5 + len));
      at += 5 + len;
    }
    if (messages.length !== 1) {
      const what = messages.length === 0 ? "no request message" : "a second request message";
      return answerStatus(stream, GrpcStatus.UNIMPLEMENTED, `Received ${what} for server streaming method ${GET_FEED_PATH}`);
    }
    const d = o.getFeed.decode(messages[0]!);
    if ("malformed" in d) {
      return answerError(stream, new InvalidArgumentError("request", `is not a valid protobuf message for ${GET_FEED_PATH}: ${d.malformed}`));
    }
    o.gateway.getFeed(d.request, { deadline, authorization }).then(
      (res) => answerMessage(stream, o.getFeed.encode(res), o.gateway.admission.sending()),
      (e: unknown) => answerError(stream, e),
    );
  });
}

const OK_HEADERS = {
  ":status": 200,
  "content-type": "application/grpc+proto",
  "grpc-accept-encoding": "identity,deflate,gzip",
  "grpc-encoding": "identity",
};
const OK_TRAILERS = { "grpc-status": "0", "grpc-message": "OK" };

function open(stream: ServerHttp2Stream): boolean {
  return !stream.closed && !stream.destroyed && !stream.headersSent;
}

/**
 * The answer and its trailers. `sent` is called once its last DATA frame has gone out (when HTTP/2 asks for
 * the trailers) or the stream closed without it: until then the answer counts as in flight, so answers a
 * client's flow control holds back (a client not reading) fill the in-flight limit instead of queueing unseen.
 */
function answerMessage(stream: ServerHttp2Stream, message: Buffer, sent: () => void): void {
  if (!open(stream)) return sent();
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0; // not compressed
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  stream.respond(OK_HEADERS, { waitForTrailers: true });
  stream.once("wantTrailers", () => {
    sent();
    if (!stream.destroyed) stream.sendTrailers(OK_TRAILERS);
  });
  stream.once("close", sent);
  stream.end(frame);
}

/** A trailers-only answer carrying the error's status and the `fyp-*` trailers (as grpc.ts's statusOf). */
function answerError(stream: ServerHttp2Stream, e: unknown): void {
  const st = toCallStatus(e);
  answerStatus(stream, st.code, st.details, { "fyp-error-code": st.errorCode, "fyp-retryable": String(st.retryable) });
}

function answerStatus(stream: ServerHttp2Stream, code: GrpcStatus, details: string, extra: Record<string, string> = {}): void {
  if (!open(stream)) return;
  stream.respond(
    { ":status": 200, "content-type": "application/grpc+proto", "grpc-status": String(code), "grpc-message": encodeURI(details), ...extra },
    { endStream: true },
  );
}
