// The one file that imports the NATS client.
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { TransportError, errorMessage, type SubscribeOptions, type Subscription, type Transport } from "../../protocols/index.ts";
import { EventStream } from "../../actors/index.ts";

/** Connection status changes, as a typed stream tests and the node can await. */
export type NatsTransportEvent =
  | { type: "disconnect"; server: string }
  | { type: "reconnect"; server: string }
  | { type: "error"; message: string }
  | { type: "closed" };

export interface NatsTransportOptions {
  /** One URL, several comma-separated, or a list. */
  servers: string | string[];
  /** Connection name shown by the server (node id). */
  name: string;
  log: Logger;
  /** Wait between reconnect attempts (ms). Reconnects never give up. */
  reconnectWaitMs?: number;
}

/** Moves bytes over a NATS connection; reconnects forever and reports status as typed events. */
export class NatsTransport implements Transport {
  readonly events = new EventStream<NatsTransportEvent>();
  private closing = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {
    void this.watchStatus();
  }

  static async connect(o: NatsTransportOptions): Promise<NatsTransport> {
    try {
      const nc = await connect({
        // "nats://a,nats://b" names several servers of a NATS cluster (fail-over between them)
        servers: typeof o.servers === "string" ? o.servers.split(",").map((s) => s.trim()).filter((s) => s !== "") : o.servers,
        name: o.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: o.reconnectWaitMs ?? 250,
        pingInterval: 5_000,
      });
      return new NatsTransport(nc, o.log.child({ module: "nats-transport" }));
    } catch (e) {
      throw new TransportError(`cannot connect to NATS at ${String(o.servers)}: ${errorMessage(e)}`, e);
    }
  }

  /** The underlying connection, for JetStream/KV clients built on the same socket (cluster layer only). */
  get connection(): NatsConnection {
    return this.nc;
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case "disconnect":
          this.log.warn({ server: s.server }, "nats disconnected");
          this.events.emit({ type: "disconnect", server: s.server });
          break;
        case "reconnect":
          this.log.info({ server: s.server }, "nats reconnected");
          this.events.emit({ type: "reconnect", server: s.server });
          break;
        case "error":
          this.log.error({ err: errorMessage(s.error) }, "nats error");
          this.events.emit({ type: "error", message: errorMessage(s.error) });
          break;
        default:
          break;
      }
    }
  }

  publish(subject: string, data: Uint8Array): void {
    try {
      this.nc.publish(subject, data);
    } catch (e) {
      throw new TransportError(`publish to ${subject} failed: ${errorMessage(e)}`, e);
    }
  }

  subscribe(subject: string, onMessage: (data: Uint8Array, replyTo?: string) => void, opts?: SubscribeOptions): Subscription {
    const sub = this.nc.subscribe(subject, {
      ...(opts?.queue !== undefined ? { queue: opts.queue } : {}),
      callback: (err, msg) => {
        if (err !== null) {
          this.log.error({ subject, err: errorMessage(err) }, "subscription error");
          return;
        }
        onMessage(msg.data, msg.reply);
      },
    });
    return { unsubscribe: () => sub.unsubscribe() };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      const m = await this.nc.request(subject, data, { timeout: timeoutMs });
      return m.data;
    } catch (e) {
      throw new TransportError(`request to ${subject} failed: ${errorMessage(e)}`, e);
    }
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
    this.events.emit({ type: "closed" });
  }
}
