import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NotFoundError } from "../../protocols/index.ts";
import type { RankingMetrics } from "./evaluate.ts";

/** The JSON card written next to every model version: what it was trained on and how well it does. */
export interface ModelCard {
  name: string;
  version: string;
  parent: string | null;
  createdAt: string;
  data: Record<string, unknown>;
  split: Record<string, unknown>;
  dims: Record<string, number>;
  features: { width: number; scalars: readonly string[] };
  network: Record<string, unknown>;
  training: Record<string, unknown>;
  metrics: RankingMetrics | Record<string, unknown>;
  baselines?: Record<string, RankingMetrics>;
  files: Record<string, string>;
}

export function newVersion(prefix: string, now = new Date()): string {
  const ts = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${prefix}-${ts}-${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, "0")}`;
}

/** `<modelsDir>/<name>/<version>/`; `LATEST` in `<modelsDir>/<name>/` names the newest version. */
export function versionDir(modelsDir: string, name: string, version: string): string {
  return join(modelsDir, name, version);
}

export function writeModelVersion(modelsDir: string, card: ModelCard, files: Record<string, Uint8Array | string>): string {
  const dir = versionDir(modelsDir, card.name, card.version);
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  writeFileSync(join(dir, "card.json"), JSON.stringify(card, null, 2) + "\n");
  writeFileSync(join(modelsDir, card.name, "LATEST"), card.version + "\n");
  return dir;
}

export function latestVersion(modelsDir: string, name: string): string {
  const p = join(modelsDir, name, "LATEST");
  if (!existsSync(p)) throw new NotFoundError(`a trained ${name} in ${modelsDir} (run: fyp train ranker)`);
  return readFileSync(p, "utf8").trim();
}

export function readModelCard(modelsDir: string, name: string, version: string): ModelCard {
  const p = join(versionDir(modelsDir, name, version), "card.json");
  if (!existsSync(p)) throw new NotFoundError(`model card ${p}`);
  return JSON.parse(readFileSync(p, "utf8")) as ModelCard;
}
