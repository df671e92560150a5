import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The real dataset samples (read in place, never copied): ../shared/datasets from the repository root. */
export const DATASETS = fileURLToPath(new URL("../../../shared/datasets/", import.meta.url));
export const RULES = { skipFastMs: 3000, rewatchRatio: 2, sessionGapMs: 1_800_000 };

/** Writes tiny files the test itself owns into a fresh temp folder; returns the folder. */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "fyp-data-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
