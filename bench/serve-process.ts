import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Starts `fyp serve` in its own process (the load generator must not share its event loop) and resolves
 * with the gRPC address (and the /metrics URL, null without one) from its first stdout line. `nodeFlags` go to node itself (e.g. GC flags that cannot
 * be set from inside the process). The bench's own FYP_BENCH_* knobs are not passed on: the CLI would read
 * FYP_* variables as config.
 */
export function startServe(serveArgs: readonly string[], nodeFlags: readonly string[] = []): Promise<{ child: ChildProcess; address: string; metrics: string | null }> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("FYP_BENCH_")));
    const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", "bin/fyp.ts", "serve", ...serveArgs], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        const j = JSON.parse(line) as { grpc: string; metrics: string | null };
        resolve({ child, address: j.grpc, metrics: j.metrics });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => reject(new Error(`fyp serve exited (${code}) before listening: ${err.slice(-2000)}`)));
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
export async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(t);
}

/** `fyp_grpc_shed_requests` by reason, read from a serve process's /metrics ({} when it has none or cannot answer). */
export async function shedByReason(metrics: string | null): Promise<Record<string, number>> {
  if (metrics === null) return {};
  const text = await fetch(metrics).then((r) => r.text(), () => "");
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^fyp_grpc_shed_requests\{reason="([a-z_]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
