import { hash32 } from "../../protocols/index.ts";
import type { Catalog } from "../datasets/catalog.ts";
import type { Interaction } from "../datasets/schema.ts";
import type { ContentItem } from "../embeddings/content-features.ts";

export interface ContentCorpusOptions {
  /** Items within this many positions of each other in one user's engaged sequence form a pair. */
  window: number;
  /** Share of users (by hash of dataset and user id) whose pairs are held out for evaluation. */
  heldOutUsers: number;
  /** Interactions at or after this epoch ms are never trained on (the KuaiRand test days). */
  trainEndMs: number;
  /** On ordinal-time datasets (MicroLens), each user's last item is never trained on (the leave-one-out test item). */
  dropLastOrdinal: boolean;
  /** Pairs kept per user, so heavy users do not dominate (the most recent are kept). */
  maxPairsPerUser: number;
}

/** Pairs of item numbers (indexes into `items`), flattened [a0, p0, a1, p1, ...]. */
export interface PairGroup {
  name: string;
  train: Int32Array;
  heldOut: Int32Array;
}

/** What the content model trains on: every catalog video, co-engagement pairs per dataset and text/metadata alignment items. */
export interface ContentCorpus {
  items: ContentItem[];
  /** `${dataset}:${videoId}` -> item number. */
  index: Map<string, number>;
  groups: PairGroup[];
  /** Items with both a text and metadata (KuaiRec captions + categories): their two views are pulled together. */
  align: { train: Int32Array; heldOut: Int32Array };
  stats: Record<string, { videos: number; users: number; engaged: number; trainPairs: number; heldOutPairs: number }>;
}

/**
 * An engagement: a long view, or an explicit like/follow/forward/comment. Sources that cannot tell a long
 * view (MicroLens: every row is a click on an item the user chose) count every interaction.
 */
export function isEngaged(i: Interaction): boolean {
  if (i.signals.like || i.signals.follow || i.signals.forward || i.signals.comment) return true;
  if (i.signals.hate) return false;
  return i.labels.longView ?? i.signals.longView ?? true;
}

/** Builds the training corpus from imported catalogs (any mix of KuaiRand, KuaiRec, MicroLens). */
export function buildContentCorpus(catalogs: readonly Catalog[], opts: ContentCorpusOptions, hasText: (item: ContentItem) => boolean, hasMeta: (item: ContentItem) => boolean): ContentCorpus {
  const items: ContentItem[] = [];
  const index = new Map<string, number>();
  const groups: PairGroup[] = [];
  const alignTrain: number[] = [];
  const alignHeld: number[] = [];
  const stats: ContentCorpus["stats"] = {};
  for (const cat of catalogs) {
    const ds = cat.dataset;
    for (const video of cat.videos()) {
      const n = items.length;
      items.push({ dataset: ds, video });
      index.set(`${ds}:${video.videoId}`, n);
      const item = items[n]!;
      if (hasText(item) && hasMeta(item)) (heldOut(ds, -1 - video.videoId, opts.heldOutUsers) ? alignHeld : alignTrain).push(n);
    }
    const train: number[] = [];
    const held: number[] = [];
    const s = { videos: 0, users: 0, engaged: 0, trainPairs: 0, heldOutPairs: 0 };
    s.videos = cat.counts().videos;
    let user: number | undefined;
    let seq: number[] = [];
    let ordinal = false;
    const flush = (): void => {
      if (user === undefined) return;
      if (ordinal && opts.dropLastOrdinal) seq.pop();
      s.users++;
      s.engaged += seq.length;
      const out = heldOut(ds, user, opts.heldOutUsers) ? held : train;
      const pairs: number[] = [];
      for (let i = 0; i < seq.length; i++) {
        for (let j = i + 1; j <= Math.min(seq.length - 1, i + opts.window); j++) if (seq[i] !== seq[j]) pairs.push(seq[i]!, seq[j]!);
      }
      const keep = pairs.length / 2 > opts.maxPairsPerUser ? pairs.slice(pairs.length - 2 * opts.maxPairsPerUser) : pairs;
      for (const p of keep) out.push(p);
      seq = [];
    };
    for (const i of cat.interactions()) {
      if (i.userId !== user) {
        flush();
        user = i.userId;
        ordinal = i.timeIsOrdinal === true;
      }
      if (!ordinal && i.timeMs >= opts.trainEndMs) continue;
      if (!isEngaged(i)) continue;
      const n = index.get(`${ds}:${i.videoId}`);
      // with ordinal time the last item is dropped later; keep unknown ids out of pairs but in the sequence order
      if (n !== undefined) seq.push(n);
    }
    flush();
    s.trainPairs = train.length / 2;
    s.heldOutPairs = held.length / 2;
    stats[ds] = s;
    if (train.length > 0) groups.push({ name: ds, train: Int32Array.from(train), heldOut: Int32Array.from(held) });
  }
  return { items, index, groups, align: { train: Int32Array.from(alignTrain), heldOut: Int32Array.from(alignHeld) }, stats };
}

function heldOut(dataset: string, user: number, share: number): boolean {
  return hash32(`${dataset}/${user}`) / 0x1_0000_0000 < share;
}

/** End of a KuaiRand day (YYYY-MM-DD, the log's UTC+8 calendar) as epoch ms: midnight of the next day. */
export function dayEndMsUtc8(day: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d + 1) - 8 * 3_600_000;
}
