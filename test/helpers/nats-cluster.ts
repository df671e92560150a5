import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One server of a NATS cluster started by startNatsCluster. */
export interface ClusterServer {
  readonly name: string;
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGKILL (or SIGTERM) and wait for the exit. */
  stop(hard?: boolean): Promise<void>;
}

export interface NatsCluster {
  readonly servers: readonly ClusterServer[];
  /** Every server's client URL, comma-separated (what `fyp node --nats` takes). */
  readonly urls: string;
  stop(): Promise<void>;
}

/** A free loopback port chosen by the OS (for cluster routes, which must be known before the servers start). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `n` nats-server processes with JetStream, clustered over loopback routes (server_name s1..sn, cluster
 * name `name`, JetStream folders in one temp folder, client ports chosen by the OS). Resolves once every
 * server listens and the JetStream meta group has a leader (streams with replicas can be created).
 */
export async function startNatsCluster(n = 3, name = "fyp-test"): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "fyp-natsc-"));
  const routePorts = await Promise.all(Array.from({ length: n }, () => freePort()));
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
  let leaderSeen!: () => void;
  const leader = new Promise<void>((r) => (leaderSeen = r));
  const started = routePorts.map((routePort, i) => {
    const serverName = `s${i + 1}`;
    const args = ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", join(dir, serverName), "-n", serverName, "--cluster_name", name,
      "-cluster", `nats://127.0.0.1:${routePort}`, "-routes", routes];
    const proc = spawn("nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    return new Promise<ClusterServer>((resolve, reject) => {
      let log = "";
      let url: string | undefined;
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`nats-server ${serverName} not ready within 20 s; log:\n${log.slice(-2000)}`));
      }, 20_000);
      proc.once("exit", (code) => {
        clearTimeout(timer);
        if (url === undefined) reject(new Error(`nats-server ${serverName} exited (${code}); log:\n${log.slice(-2000)}`));
      });
      proc.stderr!.on("data", (d: Buffer) => {
        log = (log + d.toString()).slice(-20_000);
        if (/JetStream cluster new metadata leader/.test(log)) leaderSeen();
        const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
        if (m !== null && url === undefined && log.includes("Server is ready")) {
          clearTimeout(timer);
          url = `nats://127.0.0.1:${m[1]}`;
          resolve({
            name: serverName, url, process: proc,
            async stop(hard = true) {
              if (proc.exitCode === null && proc.signalCode === null) proc.kill(hard ? "SIGKILL" : "SIGTERM");
              await exited;
            },
          });
        }
      });
    });
  });
  const servers = await Promise.all(started);
  await leader;
  return {
    servers,
    urls: servers.map((s) => s.url).join(","),
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
