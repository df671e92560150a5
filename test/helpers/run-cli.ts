import { spawn, type ChildProcess } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs `fyp ARGS` as a new user would (node --import tsx bin/fyp.ts) and collects its output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bin/fyp.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** What `fyp serve` prints as its first stdout line. */
export interface ServeInfo {
  grpc: string;
  metrics: string | null;
  tls: boolean;
  auth: boolean;
  videos: number;
}

/**
 * Starts `fyp serve ARGS` as a new user would; `ready` resolves with its first stdout line (the bound
 * addresses) and rejects with its stderr if it exits before that.
 */
export function spawnServe(args: string[]): { child: ChildProcess; exited: Promise<number | null>; ready: Promise<ServeInfo>; stderr(): string } {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/fyp.ts", "serve", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-3000)));
  const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  const ready = new Promise<ServeInfo>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))) as ServeInfo);
    });
    void exited.then((c) => reject(new Error(`fyp serve exited (${c}) before it listened: ${err}`)));
  });
  return { child, exited, ready, stderr: () => err };
}
