/**
 * Shared pieces of the cluster bench (bench/suites/cluster.ts and its child process bench/cluster-child.ts):
 * a counting actor, an actor system with roomy limits, and a nats-server on a random loopback port.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCodec } from "../protocols/index.ts";
import { ActorSystem, MemoryStateStore, WallClock, defineActor } from "../actors/index.ts";
import { silentLogger } from "../cluster/index.ts";

export type CounterMsg = { type: "inc" } | { type: "get" };

/** Counts `inc`s; `get` answers the count. `told` counts every inc this process handled. */
export const told = { n: 0 };
export const counter = defineActor<{ n: number }, CounterMsg>({
  kind: "c",
  initialState: () => ({ n: 0 }),
  receive(ctx, msg) {
    if (msg.type === "inc") {
      ctx.state.n++;
      told.n++;
      return undefined;
    }
    return ctx.state.n;
  },
});

export function benchSystem(): ActorSystem {
  return new ActorSystem({
    clock: new WallClock(), store: new MemoryStateStore(), codec: createCodec(), log: silentLogger(),
    mailboxCapacity: 10_000_000, askTimeoutMs: 30_000, passivationIdleMs: 3_600_000, sweepIntervalMs: 0, throughput: 64, dispatchBatch: 100_000,
  }).register(counter);
}

export interface BenchNats {
  url: string;
  stop(hard?: boolean): Promise<void>;
}

/** nats-server with JetStream on an OS-picked loopback port (`-p -1`); resolves once it says it is ready. */
export function startBenchNats(): Promise<BenchNats> {
  const dir = mkdtempSync(join(tmpdir(), "fyp-bench-nats-"));
  const proc = spawn("nats-server", ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", dir], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`nats-server not ready within 15 s:\n${log}`));
    }, 15_000);
    proc.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start nats-server: ${e.message}`));
    });
    proc.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (m === null || !log.includes("Server is ready")) return;
      clearTimeout(timer);
      proc.stderr!.removeAllListeners("data");
      proc.stderr!.resume();
      resolve({
        url: `nats://127.0.0.1:${m[1]}`,
        async stop(hard = false) {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(hard ? "SIGKILL" : "SIGTERM");
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}
