import { timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import {
  DeadlineExceededError,
  InvalidArgumentError,
  PROTOCOL_VERSION,
  type OverloadedError,
  UnauthenticatedError,
  UnavailableError,
  fypv1,
  type FeedItem,
} from "../../protocols/index.ts";
import { AdmissionControl, type AdmissionLimits } from "./admission-control.ts";
import { toCallStatus } from "./error-status.ts";
import type { AcceptedEvent, EventSink } from "./event-sink.ts";
import type { FeedBackend } from "./feed-backend.ts";
import { GatewayMetrics, type RpcMethod } from "./gateway-metrics.ts";
import { validateEvent, validateGetFeed, validateUpload, validateVideoStats, type ValidationLimits } from "./request-validation.ts";
import { GrpcStatus, grpcStatusName } from "./status-codes.ts";

/** The gateway's slice of the `grpc` config section. */
export interface GatewayLimits extends ValidationLimits, AdmissionLimits {
  defaultDeadlineMs: number;
  maxEventsPerStream: number;
  /** "" disables the bearer-token check. */
  authToken: string;
}

/** What the transport tells the gateway about one call. */
export interface CallInfo {
  /** Epoch ms (Date.now clock) by which the client wants its answer; Infinity when it set none. */
  deadline: number;
  /** The `authorization` metadata value, if any. */
  authorization: string | undefined;
}

export interface FeedGatewayOptions {
  limits: GatewayLimits;
  backend: FeedBackend;
  sink: EventSink;
  log: Logger;
  cluster: string;
  /** Prometheus process metrics (GC, event loop, memory) in the registry; default true. */
  defaultMetrics?: boolean;
}

/** An error that already reached the client-facing layer keeps how many events were accepted before it. */
export interface PartialAccept {
  accepted: number;
}

/**
 * The feed service without the wire: authenticates, admits, validates, turns requests into actor messages
 * and replies into responses, and records metrics. Every method throws FypErrors; the transport maps them
 * to status codes with toCallStatus (error-status.ts).
 */
export class FeedGateway {
  readonly admission: AdmissionControl;
  readonly metrics: GatewayMetrics;
  private readonly startedAt = Date.now();
  private readonly token: Buffer | null;
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly o: FeedGatewayOptions) {
    this.log = o.log.child({ module: "gateway" });
    this.admission = new AdmissionControl(o.limits, () => o.backend.mailboxBacklog());
    this.metrics = new GatewayMetrics(o.backend, this.admission, { defaultMetrics: o.defaultMetrics });
    this.token = o.limits.authToken === "" ? null : Buffer.from(`Bearer ${o.limits.authToken}`);
  }

  getFeed(req: fypv1.GetFeedRequest, call: CallInfo): Promise<fypv1.GetFeedResponse> {
    return this.run("GetFeed", call, true, async (budgetMs) => {
      const r = validateGetFeed(req, this.o.backend.now(), this.o.limits);
      const reply = await this.o.backend.getFeed(r.userId, r.count, r.at, budgetMs);
      if (reply === undefined || reply === null || !Array.isArray(reply.items)) {
        throw new UnavailableError("the registered session actor does not answer feed.request (no feed pipeline on this node)", false);
      }
      this.metrics.modelVersion(reply.modelVersion);
      return { items: reply.items.slice(0, r.count).map(toWireItem), modelVersion: reply.modelVersion, servedAtMs: Date.now() };
    });
  }

  /** Consumes the stream; each event goes to its session as it arrives and is acknowledged at the end. */
  reportEvents(events: AsyncIterable<fypv1.Event>, call: CallInfo, progress: PartialAccept = { accepted: 0 }): Promise<fypv1.ReportEventsResponse> {
    return this.run("ReportEvents", call, true, async () => {
      const durable: Promise<void>[] = [];
      let i = 0;
      for await (const ev of events) {
        if (i >= this.o.limits.maxEventsPerStream) {
          throw new InvalidArgumentError(`events[${i}]`, `a stream may carry at most ${this.o.limits.maxEventsPerStream} events`);
        }
        const v = validateEvent(ev, `events[${i}]`, this.o.backend.now(), this.o.limits);
        this.o.backend.tellSession(v.userId, v.msg);
        const p = this.o.sink.append({ kind: "session", userId: v.userId, msg: v.msg, eventId: v.eventId });
        if (p !== undefined) {
          // Handled now: an append may fail while the stream is still being read (before Promise.all below
          // looks at it), which would otherwise be an unhandled rejection that ends the process.
          p.catch(() => undefined);
          durable.push(p);
        }
        this.metrics.event(v.msg.type);
        i++;
        if (durable.length === 0) progress.accepted = i;
      }
      await Promise.all(durable);
      progress.accepted = i;
      return { accepted: i };
    });
  }

  uploadVideo(req: fypv1.UploadVideoRequest, call: CallInfo): Promise<fypv1.UploadVideoResponse> {
    return this.run("UploadVideo", call, true, async () => {
      const u = validateUpload(req, this.o.backend.now(), this.o.limits);
      const videoId = await this.o.backend.uploadVideo(u.videoId, u.msg);
      // A client-chosen video id makes a retried upload idempotent (the same id is stored once).
      const ev: AcceptedEvent = { kind: "video", videoId, msg: u.msg, eventId: u.videoId === "" ? undefined : `up:${u.videoId}` };
      await this.o.sink.append(ev);
      return { videoId };
    });
  }

  getVideoStats(req: fypv1.GetVideoStatsRequest, call: CallInfo): Promise<fypv1.VideoStats> {
    return this.run("GetVideoStats", call, true, async (budgetMs) => {
      const videoId = validateVideoStats(req);
      const s = await this.o.backend.getVideoStats(videoId, budgetMs);
      return {
        videoId: s.videoId, stage: s.stage, impressions: s.impressions, watchMs: s.watchMs, completions: s.completions,
        skips: s.skips, likes: s.likes, rewatches: s.rewatches, title: s.title, tags: s.tags, category: s.category, durationMs: s.durationMs,
      };
    });
  }

  /** Not subject to admission control: operators must be able to look at an overloaded node. */
  getClusterStatus(_req: fypv1.GetClusterStatusRequest, call: CallInfo): Promise<fypv1.ClusterStatus> {
    return this.run("GetClusterStatus", call, false, async () => ({
      cluster: this.o.cluster,
      protocolVersion: PROTOCOL_VERSION,
      uptimeMs: Date.now() - this.startedAt,
      nodes: this.o.backend.nodes().map((n) => ({
        nodeId: n.nodeId,
        activeActors: n.activeActors,
        mailboxBacklog: n.mailboxBacklog,
        processedMessages: n.processed,
        failedMessages: n.failed,
        mailboxOverflows: n.mailboxOverflows,
        askTimeouts: n.askTimeouts,
        inFlightRequests: this.admission.inFlight,
        shedRequests: this.admission.shedTotal(),
      })),
      modelVersions: this.metrics.versions(),
    }));
  }

  /**
   * The admission decision for a call the transport has not built yet (only its method and metadata are
   * known): the refusal it gets, counted like any answered call, or null to go ahead, when the call runs the
   * full path (which checks admission again). A caller that would fail authentication is let through, so it
   * learns UNAUTHENTICATED rather than how busy the node is; so is everything once the gateway is closed.
   */
  refuseEarly(method: RpcMethod, authorization: string | undefined): OverloadedError | null {
    if (this.closed || !this.tokenMatches(authorization)) return null;
    const refused = this.admission.refusal();
    if (refused !== null) this.metrics.request(method, "RESOURCE_EXHAUSTED", 0);
    return refused;
  }

  get requiresToken(): boolean {
    return this.token !== null;
  }

  /** Refuses new work (UNAVAILABLE) from now on; in-flight calls finish. */
  close(): void {
    this.closed = true;
    this.admission.close();
  }

  /**
   * The common path of every call: auth, deadline budget, admission, metrics. `budgetMs` is the time left
   * until the client's deadline (or the default budget), handed to asks so no work outlives its caller.
   */
  private async run<T>(method: RpcMethod, call: CallInfo, admit: boolean, fn: (budgetMs: number) => Promise<T>): Promise<T> {
    const t0 = performance.now();
    let admitted = false;
    try {
      if (this.closed) throw new UnavailableError("server is shutting down");
      this.authenticate(call.authorization);
      const budgetMs = Math.min(this.o.limits.defaultDeadlineMs, call.deadline - Date.now());
      if (budgetMs <= 0) throw new DeadlineExceededError(`${method} arrived after its deadline`, budgetMs);
      if (admit) {
        this.admission.admit();
        admitted = true;
      }
      const out = await fn(Math.max(1, Math.floor(budgetMs)));
      this.metrics.request(method, "OK", (performance.now() - t0) / 1000);
      return out;
    } catch (e) {
      const st = toCallStatus(e);
      this.metrics.request(method, grpcStatusName(st.code), (performance.now() - t0) / 1000);
      if (st.code === GrpcStatus.INTERNAL) this.log.error({ method, err: e instanceof Error ? e.message : String(e) }, "request failed");
      else if (this.log.isLevelEnabled("debug")) this.log.debug({ method, code: st.code, details: st.details }, "request refused");
      throw e;
    } finally {
      if (admitted) this.admission.release();
    }
  }

  private authenticate(header: string | undefined): void {
    if (this.token === null) return;
    if (header === undefined) throw new UnauthenticatedError("missing authorization metadata (expected: Bearer <token>)");
    if (!this.tokenMatches(header)) throw new UnauthenticatedError("invalid bearer token");
  }

  private tokenMatches(header: string | undefined): boolean {
    if (this.token === null) return true;
    if (header === undefined) return false;
    const got = Buffer.from(header);
    // Constant-time compare; the length check leaks only the length.
    return got.length === this.token.length && timingSafeEqual(got, this.token);
  }
}

function toWireItem(it: FeedItem): fypv1.FeedItem {
  const p = it.predictions;
  return {
    videoId: it.videoId,
    score: it.score,
    reason: it.reason,
    modelVersion: it.modelVersion,
    predictions: p === undefined
      ? null
      : { watchRatio: p.watchRatio, complete: p.complete, rewatch: p.rewatch, continueSession: p.continue, skipFast: p.skipFast },
  };
}
