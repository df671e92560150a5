import type { Logger } from "pino";
import type { Config } from "../../configs/index.ts";
import { DirectEventSink, type EventSink } from "./event-sink.ts";
import type { FeedBackend } from "./feed-backend.ts";
import { FeedGateway } from "./feed-gateway.ts";
import { startGrpcServer, type GrpcServerHandle } from "./grpc.ts";
import { startMetricsHttp, type MetricsHttpHandle } from "./metrics-http.ts";

export type GrpcConfig = Config["grpc"];

export interface FeedServiceOptions {
  grpc: Readonly<GrpcConfig>;
  backend: FeedBackend;
  log: Logger;
  /** Cluster name reported by GetClusterStatus. */
  cluster: string;
  /** Where accepted events are recorded before the ack; default: none (embedded mode). */
  sink?: EventSink;
  /** Prometheus process metrics; default true. */
  defaultMetrics?: boolean;
}

/** A running gRPC feed service: FeedService + health + reflection, and /metrics when enabled. */
export interface FeedService {
  readonly gateway: FeedGateway;
  readonly grpc: GrpcServerHandle;
  /** null when grpc.metrics.enabled is false. */
  readonly metricsPort: number | null;
  close(graceMs?: number): Promise<void>;
}

export async function startFeedService(o: FeedServiceOptions): Promise<FeedService> {
  const gateway = new FeedGateway({
    limits: o.grpc,
    backend: o.backend,
    sink: o.sink ?? new DirectEventSink(),
    log: o.log,
    cluster: o.cluster,
    defaultMetrics: o.defaultMetrics,
  });
  let metrics: MetricsHttpHandle | null = null;
  let grpc: GrpcServerHandle;
  try {
    grpc = await startGrpcServer(gateway, o.grpc, o.log);
    if (o.grpc.metrics.enabled) metrics = await startMetricsHttp(gateway.metrics, o.grpc.metrics.host, o.grpc.metrics.port);
  } catch (e) {
    gateway.close();
    throw e;
  }
  return {
    gateway,
    grpc,
    metricsPort: metrics?.port ?? null,
    async close(graceMs) {
      await grpc.close(graceMs);
      await metrics?.close();
    },
  };
}
