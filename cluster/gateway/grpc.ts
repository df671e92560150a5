// The one module that imports @grpc/grpc-js (and its helpers: proto-loader, reflection, health check).
// Everything else in the gateway is transport-free and testable without a socket.
import { readFileSync } from "node:fs";
import type { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";
import {
  ConfigError,
  FEED_LOADER_OPTIONS,
  FEED_PROTO_PATH,
  FEED_SERVICE_NAME,
  InvalidArgumentError,
  type fypv1,
} from "../../protocols/index.ts";
import { toCallStatus } from "./error-status.ts";
import { encodeGetFeedResponse } from "./feed-wire.ts";
import type { CallInfo, FeedGateway, PartialAccept } from "./feed-gateway.ts";
import { installFrontDoor, type GetFeedCodec } from "./front-door.ts";
import { RECEIVE_WINDOW_BYTES } from "./getfeed-caller.ts";
import { RpcError, parseTarget, type CallOptions, type FeedClient, type FeedClientOptions } from "./feed-client.ts";

/** The transport slice of the `grpc` config section. */
export interface GrpcServerConfig {
  host: string;
  port: number;
  maxMessageBytes: number;
  allowInsecureRemote: boolean;
  tls: { cert: string; key: string };
}

export interface GrpcServerHandle {
  /** The bound port (the real one when the config asked for 0). */
  readonly port: number;
  readonly address: string;
  readonly tls: boolean;
  /** Health: NOT_SERVING, refuse new calls, wait up to `graceMs` for in-flight ones, then force. */
  close(graceMs?: number): Promise<void>;
}

let packageDefinition: protoLoader.PackageDefinition | undefined;
function feedPackage(): protoLoader.PackageDefinition {
  packageDefinition ??= protoLoader.loadSync(FEED_PROTO_PATH, { ...FEED_LOADER_OPTIONS });
  return packageDefinition;
}

const MALFORMED = Symbol("malformed request");
interface Malformed {
  [MALFORMED]: string;
}
function isMalformed(v: unknown): v is Malformed {
  return typeof v === "object" && v !== null && MALFORMED in v;
}

/**
 * The service definition with deserializers that do not throw: grpc-js answers a throwing deserializer
 * with INTERNAL, but bytes that are not the request message are the client's fault (INVALID_ARGUMENT).
 */
function feedServiceDefinition(): grpc.ServiceDefinition {
  const svc = feedPackage()[FEED_SERVICE_NAME] as grpc.ServiceDefinition;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(svc)) {
    const generic = m.responseSerialize;
    out[name] = {
      ...m,
      // GetFeed answers are the serving path's one hot message: encoded by hand (feed-wire.ts)
      responseSerialize: name === "GetFeed" ? (res: unknown): Buffer => encodeGetFeedResponse(res as fypv1.GetFeedResponse) ?? generic(res) : generic,
      requestDeserialize: (buf: Buffer): unknown => {
        try {
          return m.requestDeserialize(buf);
        } catch (e) {
          return { [MALFORMED]: e instanceof Error ? e.message : String(e) } satisfies Malformed;
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function credentials(cfg: GrpcServerConfig): { creds: grpc.ServerCredentials; tls: boolean } {
  const { cert, key } = cfg.tls;
  if ((cert === "") !== (key === "")) {
    throw new ConfigError(cert === "" ? "grpc.tls.cert" : "grpc.tls.key", "", "must be set together with the other TLS file");
  }
  if (cert === "") {
    if (!isLoopbackHost(cfg.host) && !cfg.allowInsecureRemote) {
      throw new ConfigError("grpc.host", cfg.host, "a non-loopback host needs TLS (grpc.tls.cert/key) or grpc.allowInsecureRemote=true");
    }
    return { creds: grpc.ServerCredentials.createInsecure(), tls: false };
  }
  const read = (path: string, field: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new ConfigError(field, path, `cannot be read (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  const pair = { cert_chain: read(cert, "grpc.tls.cert"), private_key: read(key, "grpc.tls.key") };
  return { creds: grpc.ServerCredentials.createSsl(null, [pair], false), tls: true };
}

function callInfo(call: { getDeadline(): grpc.Deadline; metadata: grpc.Metadata }): CallInfo {
  const d = call.getDeadline();
  const auth = call.metadata.get("authorization")[0];
  return { deadline: d instanceof Date ? d.getTime() : d, authorization: typeof auth === "string" ? auth : undefined };
}

/** The status object grpc-js sends for any thrown error (mapping in error-status.ts). */
function statusOf(e: unknown, extra: Record<string, string> = {}): Partial<grpc.StatusObject> {
  const st = toCallStatus(e);
  const metadata = new grpc.Metadata();
  metadata.set("fyp-error-code", st.errorCode);
  metadata.set("fyp-retryable", String(st.retryable));
  for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
  return { code: st.code as number as grpc.status, details: st.details, metadata };
}

function unary<Req, Res>(
  handler: (req: Req, call: CallInfo) => Promise<Res>,
): grpc.handleUnaryCall<Req | Malformed, Res> {
  return (call, callback) => {
    const req = call.request;
    if (isMalformed(req)) {
      callback(statusOf(new InvalidArgumentError("request", `is not a valid protobuf message for ${call.getPath()}: ${req[MALFORMED]}`)), null);
      return;
    }
    handler(req, callInfo(call)).then(
      (res) => callback(null, res),
      (e: unknown) => callback(statusOf(e), null),
    );
  };
}

/**
 * Puts the front door (front-door.ts: admission before grpc-js builds a call, and the GetFeed fast path) on
 * the `stream` event of grpc-js's HTTP/2 servers. grpc-js has no public hook that early, so this reads a
 * private field; the gateway tests fail if a grpc-js upgrade moves it.
 */
function frontDoor(server: grpc.Server, gateway: FeedGateway, def: grpc.ServiceDefinition, maxMessageBytes: number): void {
  const h2s = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(h2s instanceof Map) || h2s.size === 0) throw new Error("@grpc/grpc-js internals changed: Server.http2Servers not found (gRPC front door)");
  const m = def.GetFeed as grpc.MethodDefinition<unknown, fypv1.GetFeedResponse>;
  const getFeed: GetFeedCodec = {
    decode(buf) {
      const req = m.requestDeserialize(buf);
      return isMalformed(req) ? { malformed: req[MALFORMED] } : { request: req as fypv1.GetFeedRequest };
    },
    encode: (res) => m.responseSerialize(res),
  };
  for (const h2 of h2s.keys() as Iterable<EventEmitter>) installFrontDoor(h2, { gateway, getFeed, maxMessageBytes });
}

/** Starts the FeedService with health and reflection on `host:port`. */
export async function startGrpcServer(gateway: FeedGateway, cfg: GrpcServerConfig, log: Logger): Promise<GrpcServerHandle> {
  const glog = log.child({ module: "grpc" });
  const { creds, tls } = credentials(cfg);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": cfg.maxMessageBytes,
    "grpc.max_send_message_length": 16 * 1024 * 1024,
    // channelz bookkeeping (per-call counters and traces nobody here reads) was ~5% of a GetFeed's CPU
    "grpc.enable_channelz": 0,
  });
  const reportEvents: grpc.handleClientStreamingCall<fypv1.Event | Malformed, fypv1.ReportEventsResponse> = (call, callback) => {
    const progress: PartialAccept = { accepted: 0 };
    async function* events(): AsyncGenerator<fypv1.Event> {
      let i = 0;
      for await (const ev of call as AsyncIterable<fypv1.Event | Malformed>) {
        if (isMalformed(ev)) throw new InvalidArgumentError(`events[${i}]`, `is not a valid fyp.v1.Event: ${ev[MALFORMED]}`);
        i++;
        yield ev;
      }
    }
    gateway.reportEvents(events(), callInfo(call), progress).then(
      (res) => callback(null, res),
      (e: unknown) => {
        // Stop reading: the status is final, further events would be dropped unacknowledged.
        call.destroy();
        callback(statusOf(e, { "fyp-accepted": String(progress.accepted) }), null);
      },
    );
  };
  const impl: grpc.UntypedServiceImplementation = {
    GetFeed: unary<fypv1.GetFeedRequest, fypv1.GetFeedResponse>((r, c) => gateway.getFeed(r, c)),
    ReportEvents: reportEvents,
    UploadVideo: unary<fypv1.UploadVideoRequest, fypv1.UploadVideoResponse>((r, c) => gateway.uploadVideo(r, c)),
    GetVideoStats: unary<fypv1.GetVideoStatsRequest, fypv1.VideoStats>((r, c) => gateway.getVideoStats(r, c)),
    GetClusterStatus: unary<fypv1.GetClusterStatusRequest, fypv1.ClusterStatus>((r, c) => gateway.getClusterStatus(r, c)),
  };
  const definition = feedServiceDefinition();
  server.addService(definition, impl);
  const health = new HealthImplementation({ "": "SERVING", [FEED_SERVICE_NAME]: "SERVING" });
  health.addToServer(server);
  new ReflectionService(feedPackage()).addToServer(server);

  const host = cfg.host.includes(":") && !cfg.host.startsWith("[") ? `[${cfg.host}]` : cfg.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${cfg.port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  try {
    frontDoor(server, gateway, definition, cfg.maxMessageBytes);
  } catch (e) {
    server.forceShutdown();
    throw e;
  }
  const address = `${host}:${port}`;
  glog.info({ address, tls, auth: gateway.requiresToken }, "gRPC feed service listening");
  let closing: Promise<void> | null = null;
  return {
    port,
    address,
    tls,
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        health.setStatus("", "NOT_SERVING");
        health.setStatus(FEED_SERVICE_NAME, "NOT_SERVING");
        gateway.close();
        const force = setTimeout(() => {
          glog.warn({ graceMs }, "forcing gRPC shutdown: calls still in flight");
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}

// ---- client -------------------------------------------------------------------------------------

type UnaryFn = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res: unknown) => void) => void;

function trailersOf(e: grpc.ServiceError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.metadata?.getMap() ?? {})) out[k] = String(v);
  return out;
}

/** A FeedService client over @grpc/grpc-js (plaintext, or TLS with a CA and an optional bearer token). */
export function createFeedClient(o: FeedClientOptions): FeedClient {
  const { address, tls } = parseTarget(o.target);
  const Ctor = grpc.makeGenericClientConstructor(feedPackage()[FEED_SERVICE_NAME] as grpc.ServiceDefinition, "FeedService");
  const creds = tls || o.caPem !== undefined ? grpc.credentials.createSsl(o.caPem ?? null) : grpc.credentials.createInsecure();
  const options: grpc.ChannelOptions = {
    "grpc.enable_channelz": 0,
    // HTTP/2's 64 KiB default receive window lets a paused client stall the server's answers (getfeed-caller.ts)
    "grpc-node.flow_control_window": RECEIVE_WINDOW_BYTES,
    ...(o.serverName ? { "grpc.ssl_target_name_override": o.serverName, "grpc.default_authority": o.serverName } : {}),
  };
  const client = new Ctor(address, creds, options) as unknown as Record<string, UnaryFn> & grpc.Client;
  const md = (): grpc.Metadata => {
    const m = new grpc.Metadata();
    if (o.token !== undefined) m.set("authorization", `Bearer ${o.token}`);
    return m;
  };
  const callOpts = (c?: CallOptions): grpc.CallOptions => (c?.deadlineMs === undefined ? {} : { deadline: Date.now() + c.deadlineMs });
  const call = <T>(method: string, req: unknown, c?: CallOptions): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      client[method]!.call(client, req, md(), callOpts(c), (e, res) =>
        e ? reject(new RpcError(e.code, e.details, trailersOf(e))) : resolve(res as T),
      );
    });
  return {
    getFeed: (req, c) => call("GetFeed", req, c),
    uploadVideo: (req, c) => call("UploadVideo", req, c),
    getVideoStats: (req, c) => call("GetVideoStats", req, c),
    getClusterStatus: (c) => call("GetClusterStatus", {}, c),
    reportEvents: (events, c) =>
      new Promise((resolve, reject) => {
        const stream = (client as unknown as Record<string, (md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => grpc.ClientWritableStream<unknown>>)
          .ReportEvents!.call(client, md(), callOpts(c), (e, res) =>
            e ? reject(new RpcError(e.code, e.details, trailersOf(e))) : resolve(res as fypv1.ReportEventsResponse),
          );
        for (const ev of events) stream.write(ev);
        stream.end();
      }),
    waitReady: (timeoutMs) =>
      new Promise((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (e) => (e ? reject(e) : resolve()))),
    close: () => client.close(),
  };
}
