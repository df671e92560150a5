import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "./row.ts";

/**
 * `npm run --silent eval -- [suite ...]`: offline evaluation suites (bench/eval-suites/<name>.ts), all when
 * none is named; one JSON line per figure in the bench row shape (value, baseline, ratio, config, commit).
 * Progress goes to stderr.
 */
const HERE = dirname(fileURLToPath(import.meta.url));

function commit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: HERE, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: HERE, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const available = readdirSync(join(HERE, "eval-suites")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  for (const w of wanted) {
    if (!available.includes(w)) {
      process.stderr.write(`eval: unknown suite "${w}" (available: ${available.join(", ")})\n`);
      process.exitCode = 2;
      return;
    }
  }
  const sha = commit();
  for (const suite of wanted.length > 0 ? wanted : available) {
    process.stderr.write(`eval: running ${suite}\n`);
    const mod = (await import(join(HERE, "eval-suites", `${suite}.ts`))) as { run: (emit: (r: BenchRow) => void) => Promise<void> };
    await mod.run((row) => process.stdout.write(JSON.stringify({ ...row, commit: sha }) + "\n"));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`eval: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
