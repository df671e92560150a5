import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ActorKind, FEED_LOADER_OPTIONS, FEED_PROTO_PATH, actorId, assertNever, type FeedReply, type SessionMsg } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, WallClock, defineActor, videoActor, type ActorBehavior } from "../../actors/index.ts";
import { createCodec } from "../../protocols/index.ts";
import { ActorFeedBackend, silentLogger, startFeedService, type FeedService, type GrpcConfig } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";

/**
 * A test-only session behaviour (a real actor in a real ActorSystem): serves `count` items from a small
 * catalog, remembers what it was told, forwards watches to the video, and can be held at a gate so tests
 * control when a feed request finishes.
 */
export interface TestSessionState {
  feeds: number;
  events: string[];
}
export interface Gate {
  promise: Promise<void>;
  open(): void;
}
export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export const testSessionActor = defineActor<TestSessionState, SessionMsg>({
  kind: ActorKind.Session,
  initialState: () => ({ feeds: 0, events: [] }),
  receive(ctx, msg) {
    const s = ctx.state;
    switch (msg.type) {
      case "feed.request": {
        const cold = s.feeds === 0 && s.events.length === 0;
        s.feeds++;
        const reply: FeedReply = {
          modelVersion: "test-v1",
          items: Array.from({ length: msg.count }, (_, i) => ({
            videoId: `v${(s.feeds * 7 + i) % 1000}`,
            score: 1 - i / (msg.count + 1),
            reason: cold ? "new video being tested" : "similar to what you watched",
            modelVersion: "test-v1",
            predictions: { watchRatio: 0.5, complete: 0.3, rewatch: 0.1, continue: 0.8, skipFast: 0.2 },
          })),
        };
        const g = (ctx.services.gate as Gate | undefined)?.promise;
        return g === undefined ? reply : g.then(() => reply);
      }
      case "session.watch":
        s.events.push(msg.type);
        ctx.tell(actorId(ActorKind.Video, msg.videoId), { type: "video.watch", sessionKey: ctx.key, watchMs: msg.watchMs, durationMs: msg.durationMs, at: msg.at });
        return undefined;
      case "session.skip":
      case "session.like":
      case "session.rewatch":
      case "session.share":
      case "session.impression":
      case "session.leave":
        s.events.push(msg.type);
        return undefined;
      case "session.get-state":
        return { feeds: s.feeds, events: [...s.events] };
      case "session.start":
      case "session.tick":
        return undefined;
      default:
        return assertNever(msg, "session message");
    }
  },
});

export interface TestFeedServer {
  service: FeedService;
  system: ActorSystem;
  services: Record<string, unknown>;
  address: string;
  config: GrpcConfig;
  close(): Promise<void>;
}

/** A real FeedService on 127.0.0.1:0 (metrics on :0) over a real ActorSystem on the wall clock. */
export async function startTestFeedServer(
  over: Record<string, unknown> = {},
  opts: { session?: ActorBehavior<any, any>; mailboxCapacity?: number } = {},
): Promise<TestFeedServer> {
  const config = loadConfig({
    env: {},
    // Admission by event-loop delay is off unless a test turns it on: on a loaded CI machine the loop runs late
    // for reasons of its own, and a test about validation or deadlines must not turn into a shedding test.
    overrides: { "grpc.host": "127.0.0.1", "grpc.port": 0, "grpc.metrics.host": "127.0.0.1", "grpc.metrics.port": 0, "grpc.maxEventLoopDelayMs": 0, ...over },
  });
  const services: Record<string, unknown> = {};
  const system = new ActorSystem({
    clock: new WallClock(),
    store: new MemoryStateStore(),
    codec: createCodec(),
    log: silentLogger(),
    services,
    mailboxCapacity: opts.mailboxCapacity ?? 1000,
    askTimeoutMs: 5000,
    passivationIdleMs: 600_000,
    sweepIntervalMs: 0,
    throughput: 32,
    dispatchBatch: 10_000,
  });
  system.register(opts.session ?? testSessionActor).register(videoActor);
  let service: FeedService;
  try {
    service = await startFeedService({
      grpc: config.grpc,
      backend: new ActorFeedBackend(system, "test-node"),
      log: silentLogger(),
      cluster: "test",
      defaultMetrics: false,
    });
  } catch (e) {
    await system.stop();
    throw e;
  }
  return {
    service,
    system,
    services,
    address: `127.0.0.1:${service.grpc.port}`,
    config: config.grpc,
    async close() {
      await service.close(1000);
      await system.stop();
    },
  };
}

// ---- a plain @grpc/grpc-js client, independent of the project's client factory --------------------

export type Rpc = (req: unknown, opts?: { deadlineMs?: number; metadata?: grpc.Metadata }) => Promise<any>;
export interface RawClient {
  client: grpc.Client;
  GetFeed: Rpc;
  UploadVideo: Rpc;
  GetVideoStats: Rpc;
  GetClusterStatus: Rpc;
  ReportEvents(events: unknown[], opts?: { deadlineMs?: number; metadata?: grpc.Metadata }): Promise<any>;
  close(): void;
}

export function feedClientCtor(): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(FEED_PROTO_PATH, { ...FEED_LOADER_OPTIONS })) as any;
  return pkg.fyp.v1.FeedService as grpc.ServiceClientConstructor;
}

export function rawClient(address: string, creds = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): RawClient {
  const Ctor = feedClientCtor();
  const client = new Ctor(address, creds, options) as any;
  const unary = (name: string): Rpc => (req, o = {}) =>
    new Promise((resolve, reject) => {
      const callOpts = o.deadlineMs === undefined ? {} : { deadline: Date.now() + o.deadlineMs };
      client[name](req, o.metadata ?? new grpc.Metadata(), callOpts, (e: grpc.ServiceError | null, res: unknown) => (e ? reject(e) : resolve(res)));
    });
  return {
    client,
    GetFeed: unary("GetFeed"),
    UploadVideo: unary("UploadVideo"),
    GetVideoStats: unary("GetVideoStats"),
    GetClusterStatus: unary("GetClusterStatus"),
    ReportEvents: (events, o = {}) =>
      new Promise((resolve, reject) => {
        const callOpts = o.deadlineMs === undefined ? {} : { deadline: Date.now() + o.deadlineMs };
        const s = client.ReportEvents(o.metadata ?? new grpc.Metadata(), callOpts, (e: grpc.ServiceError | null, res: unknown) => (e ? reject(e) : resolve(res)));
        for (const ev of events) s.write(ev);
        s.end();
      }),
    close: () => client.close(),
  };
}

/** Awaits a call expected to fail and returns its status (fails the test if it succeeded). */
export async function statusOf(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    const v = await p;
    throw new Error(`expected the call to fail, it returned ${JSON.stringify(v)}`);
  } catch (e) {
    if (typeof (e as grpc.ServiceError).code !== "number") throw e;
    return e as grpc.ServiceError;
  }
}

export { grpc };
