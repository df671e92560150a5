import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { GatewayMetrics } from "./gateway-metrics.ts";

export interface MetricsHttpHandle {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves the Prometheus text format at GET /metrics (anything else: 404). */
export async function startMetricsHttp(metrics: GatewayMetrics, host: string, port: number): Promise<MetricsHttpHandle> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url !== "/metrics" && !req.url?.startsWith("/metrics?"))) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try GET /metrics\n");
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { "content-type": metrics.contentType }).end(body),
      (e: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  // Scrapers reuse connections; a closed server must not wait for their keep-alive timeout.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
