import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ModelError } from "../../protocols/index.ts";
import type { ContentFeatureOptions } from "./content-features.ts";

/** What `fyp train content` writes next to the ONNX files: enough to reproduce and to judge the model. */
export interface ContentModelCard {
  kind: "content-model";
  version: string;
  createdAt: string;
  /** Hashing sizes the model's inputs were built with (must match at inference). */
  features: ContentFeatureOptions;
  dims: { text: number; content: number };
  io: Record<string, string>;
  files: { content: string; text: string };
  [extra: string]: unknown;
}

const LATEST = "latest.json";

/** Writes one version (`<dir>/<version>/`) and points `<dir>/latest.json` at it. Returns the version folder. */
export function writeContentModel(dir: string, card: ContentModelCard, files: { content: Uint8Array; text: Uint8Array }): string {
  const at = join(dir, card.version);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, card.files.content), files.content);
  writeFileSync(join(at, card.files.text), files.text);
  writeFileSync(join(at, "card.json"), JSON.stringify(card, null, 2) + "\n");
  writeFileSync(join(dir, LATEST), JSON.stringify({ version: card.version }) + "\n");
  return at;
}

/** The newest trained content model, or undefined when none was trained yet. */
export function latestContentModel(dir: string): { card: ContentModelCard; content: string; text: string } | undefined {
  const p = join(dir, LATEST);
  if (!existsSync(p)) return undefined;
  try {
    const { version } = JSON.parse(readFileSync(p, "utf8")) as { version: string };
    return readContentModel(join(dir, version));
  } catch (e) {
    throw new ModelError(p, "load", "unreadable content model pointer", e);
  }
}

export function readContentModel(versionDir: string): { card: ContentModelCard; content: string; text: string } {
  const cardPath = join(versionDir, "card.json");
  let card: ContentModelCard;
  try {
    card = JSON.parse(readFileSync(cardPath, "utf8")) as ContentModelCard;
  } catch (e) {
    throw new ModelError(cardPath, "load", "missing or unreadable model card", e);
  }
  return { card, content: join(versionDir, card.files.content), text: join(versionDir, card.files.text) };
}
