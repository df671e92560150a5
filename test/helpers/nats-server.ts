import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A real nats-server process on a random loopback port, with JetStream in its own folder. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM, or SIGKILL when `hard`) and waits for it to exit. */
  stop(hard?: boolean): Promise<void>;
}

export interface NatsServerOptions {
  jetstream?: boolean;
  /** Reuse a port (a restart of the "same" server). */
  port?: number;
  /** Reuse a JetStream folder (a restart keeps its streams). */
  storeDir?: string;
  /** Extra nats-server flags (cluster routes…). */
  args?: string[];
}

/**
 * Starts nats-server with `-p -1` (the OS picks a free port) and resolves once the server logs the port it
 * listens on; rejects if the process exits first or says nothing useful within 15 s.
 */
export function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const ownDir = opts.storeDir === undefined;
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "fyp-nats-"));
  const args = ["-a", "127.0.0.1", "-p", String(opts.port ?? -1), ...(opts.jetstream === false ? [] : ["-js", "-sd", storeDir]), ...(opts.args ?? [])];
  const proc = spawn("nats-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`nats-server did not report its port within 15 s; log:\n${log}`));
    }, 15_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}) before listening; args ${args.join(" ")}; log:\n${log}`));
    };
    proc.once("exit", onExit);
    proc.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start nats-server (is it installed? scripts/ensure-system-deps.sh): ${e.message}`));
    });
    proc.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (m === null || !log.includes("Server is ready")) return;
      clearTimeout(timer);
      proc.off("exit", onExit);
      proc.stderr!.removeAllListeners("data");
      proc.stderr!.resume();
      const port = Number(m[1]);
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      resolve({
        url: `nats://127.0.0.1:${port}`,
        port,
        process: proc,
        async stop(hard = false) {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(hard ? "SIGKILL" : "SIGTERM");
          await exited;
          if (ownDir) rmSync(storeDir, { recursive: true, force: true });
        },
      });
    });
  });
}
