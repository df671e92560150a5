import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { FeedBackend } from "./feed-backend.ts";
import type { AdmissionControl } from "./admission-control.ts";

export const RPC_METHODS = ["GetFeed", "ReportEvents", "UploadVideo", "GetVideoStats", "GetClusterStatus"] as const;
export type RpcMethod = (typeof RPC_METHODS)[number];

/**
 * Prometheus metrics of one serving node, in its own registry (several servers may share a process in
 * tests). Actor figures are read from the backend at scrape time, so the request path pays nothing for them.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"method" | "code">;
  private readonly latency: Histogram<"method">;
  private readonly latencyOf = new Map<string, { observe(v: number): void }>();
  private readonly requestsOf = new Map<string, { inc(): void }>();
  private readonly events: Counter<"type">;
  private readonly modelVersions = new Set<string>();

  constructor(backend: FeedBackend, admission: AdmissionControl, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: "fyp_grpc_requests_total", help: "gRPC requests by method and status code", labelNames: ["method", "code"], registers });
    this.latency = new Histogram({
      name: "fyp_grpc_request_duration_seconds",
      help: "gRPC request latency (server side, admission to response)",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    for (const m of RPC_METHODS) this.latencyOf.set(m, this.latency.labels(m));
    this.events = new Counter({ name: "fyp_grpc_events_total", help: "Interaction events accepted by ReportEvents", labelNames: ["type"], registers });
    new Gauge({
      name: "fyp_grpc_in_flight_requests",
      help: "gRPC requests being handled",
      registers,
      collect() {
        this.set(admission.inFlight);
      },
    });
    new Gauge({
      name: "fyp_grpc_shed_requests",
      help: "Requests refused with RESOURCE_EXHAUSTED since start, by the limit that refused them",
      labelNames: ["reason"],
      registers,
      collect() {
        for (const [reason, n] of Object.entries(admission.shed())) this.labels(reason).set(n);
      },
    });
    new Gauge({
      name: "fyp_grpc_admit_share",
      help: "Share of arriving requests the event-loop governor admits (1: not thinning)",
      registers,
      collect() {
        this.set(admission.admitShare);
      },
    });
    const node = <K extends "activeActors" | "mailboxBacklog" | "processed" | "failed" | "mailboxOverflows" | "askTimeouts">(name: string, help: string, key: K) =>
      new Gauge({
        name,
        help,
        labelNames: ["node"],
        registers,
        collect() {
          for (const n of backend.nodes()) this.labels(n.nodeId).set(n[key]);
        },
      });
    node("fyp_actors_active", "Actors in memory", "activeActors");
    node("fyp_actor_mailbox_backlog", "Messages waiting in mailboxes or being handled", "mailboxBacklog");
    node("fyp_actor_messages_processed", "Messages handled since start", "processed");
    node("fyp_actor_messages_failed", "Messages whose handler threw since start", "failed");
    node("fyp_actor_mailbox_overflows", "Messages refused by a full mailbox since start", "mailboxOverflows");
    node("fyp_actor_ask_timeouts", "Asks that timed out since start", "askTimeouts");
    const versions = this.modelVersions;
    new Gauge({
      name: "fyp_model_version_info",
      help: "Model versions that scored served feeds (value 1)",
      labelNames: ["version"],
      registers,
      collect() {
        for (const v of versions) this.labels(v).set(1);
      },
    });
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "fyp_" });
  }

  request(method: RpcMethod, code: string, seconds: number): void {
    // labels() hashes its arguments on every call; the (method, code) pairs are few, so keep their children
    const key = method + "|" + code;
    let counter = this.requestsOf.get(key);
    if (counter === undefined) this.requestsOf.set(key, (counter = this.requests.labels(method, code)));
    counter.inc();
    this.latencyOf.get(method)?.observe(seconds);
  }

  event(type: string): void {
    this.events.labels(type).inc();
  }

  modelVersion(v: string): void {
    if (v !== "" && !this.modelVersions.has(v) && this.modelVersions.size < 64) this.modelVersions.add(v);
  }

  versions(): string[] {
    return [...this.modelVersions];
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
