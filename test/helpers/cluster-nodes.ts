import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startNatsServer, type NatsServer } from "./nats-server.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** A `fyp node` process, started and ready (it printed its JSON line after taking its shards). */
export interface NodeProcess {
  readonly id: string;
  readonly grpc: string;
  readonly child: ChildProcess;
  /** SIGKILL and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful leave) and wait for the exit. */
  stop(): Promise<number | null>;
  /**
   * Resolves with the next log line (pino JSON on stderr, from now on) whose `msg` is `msg`; rejects if the
   * node exits first or after `timeoutMs`. Arm it before the action. Only lines at the node's log level.
   */
  nextLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The node's latest stderr (its log lines at its log level), for a failing assertion to show. */
  logTail(): string;
}

/**
 * Small, fast settings for fault tests: 64 shards, 100 ms heartbeats, 1 s leases. Event-loop admission is
 * off (as in the in-process test servers): on a loaded CI machine the nodes' loops fall behind and refuse
 * calls with RESOURCE_EXHAUSTED, which these tests, counting calls failed by the fault, would report.
 * A test that wants it passes its own `grpc.maxEventLoopDelayMs` after these (the last --set wins).
 */
export const FAST_CLUSTER = [
  "--set", "cluster.numShards=64", "--set", "cluster.heartbeatMs=100", "--set", "cluster.leaseMs=1000",
  "--set", "cluster.checkpointMs=300", "--set", "cluster.handoffTimeoutMs=3000",
  "--set", "grpc.maxEventLoopDelayMs=0",
];

export function startNode(natsUrl: string, cluster: string, id: string, extra: string[] = FAST_CLUSTER): Promise<NodeProcess> {
  const args = ["--import", "tsx", "bin/fyp.ts", "node", "--nats", natsUrl, "--cluster", cluster, "--node-id", id, "--port", "0", "--no-metrics",
    "--profile", "small", "--videos", "300", "--log-level", "warn", ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    let partial = "";
    const logWaiters = new Set<{ msg: string; resolve: (o: Record<string, unknown>) => void }>();
    child.stderr!.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-16_000);
      partial += d.toString();
      const lines = partial.split("\n");
      partial = lines.pop()!;
      if (logWaiters.size === 0) return;
      for (const line of lines) {
        let o: Record<string, unknown>;
        try {
          o = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        for (const w of [...logWaiters]) if (o.msg === w.msg) w.resolve(o);
      }
    });
    const nextLog = (msg: string, timeoutMs = 20_000) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const w = {
          msg,
          resolve: (o: Record<string, unknown>) => {
            clearTimeout(timer);
            child.off("exit", onExit);
            logWaiters.delete(w);
            resolve(o);
          },
        };
        const onExit = (code: number | null) => {
          clearTimeout(timer);
          logWaiters.delete(w);
          reject(new Error(`fyp node ${id} exited (${code}) before logging "${msg}"`));
        };
        const timer = setTimeout(() => {
          logWaiters.delete(w);
          child.off("exit", onExit);
          reject(new Error(`fyp node ${id}: no "${msg}" log line within ${timeoutMs} ms; last stderr: ${err.slice(-1000)}`));
        }, timeoutMs);
        logWaiters.add(w);
        child.once("exit", onExit);
      });
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      const info = JSON.parse(out.slice(0, nl)) as { grpc: string };
      resolve({
        id, grpc: info.grpc, child, nextLog,
        logTail: () => err,
        async kill9() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await exited;
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    });
    child.once("exit", (code) => reject(new Error(`fyp node ${id} exited (${code}) before it was ready: ${err.slice(-4000)}`)));
  });
}

/**
 * A nats-server on a random port and `fyp node` processes `ids` (in order) for one test, torn down with it:
 * every node in `nodes` (tests may push later joiners) is killed, and the server stopped.
 */
export async function startTestCluster(t: TestTeardown, cluster: string, ids: readonly string[], extra?: string[]): Promise<{ server: NatsServer; nodes: NodeProcess[] }> {
  const server = await startNatsServer();
  t.teardown(() => server.stop());
  const nodes: NodeProcess[] = [];
  t.teardown(async () => {
    for (const n of nodes) await n.kill9();
  });
  for (const id of ids) nodes.push(await startNode(server.url, cluster, id, extra));
  return { server, nodes };
}

/** The part of a tap test the helper uses. */
interface TestTeardown {
  teardown(fn: () => unknown): void;
}
