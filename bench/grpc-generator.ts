import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createGetFeedFrameCaller } from "../cluster/index.ts";
import { runGrpcLoad, type GrpcLoadOptions, type GrpcLoadReport } from "../loadtest/index.ts";

/**
 * The open-loop GetFeed generator in a process of its own, so its event loop and heap are not the bench
 * runner's (an 8 GB heap with --expose-gc and the results of earlier suites), and so it can run with
 * `nodeFlags` of its own: its GC pauses time every answer that arrives meanwhile as late, exactly like a
 * server stall, and V8's parallel GC waits for helper threads the two shared cores do not schedule.
 */
export interface GrpcGenerator {
  run(o: GrpcLoadOptions): Promise<GrpcLoadReport>;
  close(): Promise<void>;
}

type FromChild = { type: "ready" } | { type: "report"; id: number; report: GrpcLoadReport } | { type: "error"; message: string };

export function startGrpcGenerator(target: string, nodeFlags: readonly string[] = []): Promise<GrpcGenerator> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--generator", target], {
    execArgv: [...nodeFlags, "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map<number, { resolve(r: GrpcLoadReport): void; reject(e: Error): void }>();
  let nextId = 0;
  let failure: Error | null = null;
  const fail = (e: Error): void => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  child.once("exit", (code, signal) => fail(new Error(`gRPC generator exited (${code ?? signal})`)));
  return new Promise((resolve, reject) => {
    child.once("exit", (code, signal) => reject(new Error(`gRPC generator exited before it was ready (${code ?? signal})`)));
    child.on("message", (m: FromChild) => {
      if (m.type === "ready") {
        resolve({
          run(o) {
            if (failure !== null) return Promise.reject(failure);
            const id = nextId++;
            return new Promise((res, rej) => {
              waiting.set(id, { resolve: res, reject: rej });
              child.send({ id, o });
            });
          },
          async close() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            const exited = new Promise<void>((r) => child.once("exit", () => r()));
            child.disconnect();
            await exited;
          },
        });
      } else if (m.type === "report") {
        waiting.get(m.id)?.resolve(m.report);
        waiting.delete(m.id);
      } else fail(new Error(`gRPC generator: ${m.message}`));
    });
  });
}

// ---- the child ---------------------------------------------------------------------------------

/**
 * The generator speaks HTTP/2 frames itself (createGetFeedFrameCaller, like h2load): node:http2's client cost
 * ~160 us of CPU per call, so at 4,000 req/s it needed ~0.65 of a core on the two the server shares, and its own
 * turns delayed the answers it timed (answers waited 40-60 ms in its socket at the median). Two connections,
 * as a server sees more than one client.
 */
const CONNECTIONS = 2;

if (process.argv[2] === "--generator" && process.send !== undefined) {
  const send = (m: FromChild): void => void process.send!(m);
  const caller = createGetFeedFrameCaller({ target: process.argv[3]!, connections: CONNECTIONS });
  try {
    await caller.waitReady(30_000);
    send({ type: "ready" });
  } catch (e) {
    send({ type: "error", message: e instanceof Error ? e.message : String(e) });
  }
  process.on("message", (m: { id: number; o: GrpcLoadOptions }) => {
    runGrpcLoad(caller, m.o).then(
      (report) => send({ type: "report", id: m.id, report }),
      (e: unknown) => send({ type: "error", message: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.once("disconnect", () => {
    caller.close();
    process.exit(0);
  });
}
