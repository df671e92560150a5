import { hash32 } from "../../protocols/index.ts";
import type { Video } from "../datasets/schema.ts";
import { hashTextFeatures } from "./text-hashing.ts";

/** Hashing sizes of the trained content model's two inputs (config `embeddings.textBuckets|textMaxTokens` and `embeddings.content.meta*`). */
export interface ContentFeatureOptions {
  textBuckets: number;
  textMaxTokens: number;
  metaBuckets: number;
  metaMaxTokens: number;
}

/** A video and the dataset it belongs to (ids, tags and authors are only unique within one dataset). */
export interface ContentItem {
  dataset: string;
  video: Video;
}

/** Model inputs for a batch, row-major: `text` [rows, textMaxTokens], `meta` [rows, metaMaxTokens], `mask` [rows, 2]. */
export interface ContentFeatures {
  rows: number;
  text: Int32Array;
  meta: Int32Array;
  /** 1 where the tower has at least one id (text present, metadata present), in TOWERS order. */
  mask: Float32Array;
}

/** The content model's towers, in the order of its `mask` input. */
export const TOWERS = ["text", "meta"] as const;

/** Input and output names of the exported content model and of its text tower. */
export const CONTENT_MODEL_IO = { text: "text_ids", meta: "meta_ids", mask: "mask", output: "content", textOutput: "text_vec" } as const;

// Seconds: the log-spaced duration bands short-video platforms report (under 7 s, 7-15 s, ... over 5 min).
const DURATION_BANDS_S = [7, 15, 30, 60, 120, 300];

export function durationBucket(ms: number): number {
  const s = ms / 1000;
  const i = DURATION_BANDS_S.findIndex((b) => s < b);
  return i < 0 ? DURATION_BANDS_S.length : i;
}

/** The text a video is read by: its title or caption (MicroLens titles carry their hashtags). */
export function videoText(v: Video): string {
  return v.title?.trim() ?? "";
}

/**
 * Metadata as tokens: categories and tags, category names (all levels), author, duration band, video type and
 * music. Ids are namespaced by dataset; names and duration bands are shared, so they bridge datasets.
 */
export function metaTokens(item: ContentItem): string[] {
  const { dataset: ds, video: v } = item;
  const out: string[] = [];
  if (v.category !== undefined) out.push(`${ds}:cat:${v.category}`);
  for (const t of v.tags) if (t !== v.category) out.push(`${ds}:tag:${t}`);
  v.categoryNames?.forEach((n, level) => out.push(`catname:${level}:${n}`));
  if (v.authorId !== undefined) out.push(`${ds}:author:${v.authorId}`);
  if (v.durationMs !== undefined) out.push(`dur:${durationBucket(v.durationMs)}`);
  if (v.videoType !== undefined && v.videoType !== "") out.push(`type:${v.videoType}`);
  // music is not in every loader's schema yet; read it when the video carries it
  const music = (v as Video & { musicId?: number }).musicId;
  if (music !== undefined) out.push(`${ds}:music:${music}`);
  return out;
}

function hashMeta(tokens: readonly string[], buckets: number, width: number): Int32Array {
  const out = new Int32Array(width);
  for (let i = 0; i < Math.min(width, tokens.length); i++) out[i] = 1 + (hash32(`m:${tokens[i]}`) % (buckets - 1));
  return out;
}

/** Featurises a batch of videos for the content model (pure and deterministic; no model needed). */
export function contentFeatures(items: readonly ContentItem[], opts: ContentFeatureOptions): ContentFeatures {
  const rows = items.length;
  const text = new Int32Array(rows * opts.textMaxTokens);
  const meta = new Int32Array(rows * opts.metaMaxTokens);
  const mask = new Float32Array(rows * TOWERS.length);
  const hashing = { buckets: opts.textBuckets, maxTokens: opts.textMaxTokens };
  items.forEach((item, r) => {
    const t = videoText(item.video);
    if (t !== "") {
      const ids = hashTextFeatures(t, hashing);
      text.set(ids, r * opts.textMaxTokens);
      if (ids[0] !== 0) mask[r * 2] = 1;
    }
    const m = metaTokens(item);
    if (m.length > 0) {
      meta.set(hashMeta(m, opts.metaBuckets, opts.metaMaxTokens), r * opts.metaMaxTokens);
      mask[r * 2 + 1] = 1;
    }
  });
  return { rows, text, meta, mask };
}

/** Rows `from..to` of a feature batch (views, no copy). */
export function sliceFeatures(f: ContentFeatures, from: number, to: number, opts: ContentFeatureOptions): ContentFeatures {
  return {
    rows: to - from,
    text: f.text.subarray(from * opts.textMaxTokens, to * opts.textMaxTokens),
    meta: f.meta.subarray(from * opts.metaMaxTokens, to * opts.metaMaxTokens),
    mask: f.mask.subarray(from * 2, to * 2),
  };
}
