import type { Catalog } from "../datasets/catalog.ts";
import type { AnnIndex } from "../retrieval/ann-index.ts";
import type { ContentModelEncoder } from "./content-model-encoder.ts";
import type { VectorStore } from "./vector-store.ts";

export interface EmbedProgress {
  done: number;
  total: number;
  stored: number;
}

export interface EmbedSummary {
  dataset: string;
  videos: number;
  /** Videos that got a vector (the rest have neither text nor metadata). */
  stored: number;
  dim: number;
  seconds: number;
  videosPerSecond: number;
}

/**
 * Embeds every video of a catalog in batches and stores the unit vectors (replacing the dataset's previous
 * vectors, tagged with the model version).
 */
export async function embedCatalog(catalog: Catalog, encoder: ContentModelEncoder, store: VectorStore, opts: { batch: number; modelVersion: string; onProgress?: (p: EmbedProgress) => void }): Promise<EmbedSummary> {
  const t0 = performance.now();
  const total = catalog.counts().videos;
  await store.clear();
  let done = 0;
  let stored = 0;
  let batch: ReturnType<Catalog["getVideo"]>[] = [];
  const run = async (): Promise<void> => {
    const videos = batch.filter((v) => v !== undefined);
    batch = [];
    const vecs = await encoder.embed(videos.map((video) => ({ dataset: catalog.dataset, video })));
    vecs.forEach((v, i) => {
      if (v === undefined) return;
      store.put(videos[i]!.videoId, v);
      stored++;
    });
    done += videos.length;
    opts.onProgress?.({ done, total, stored });
  };
  for (const v of catalog.videos()) {
    batch.push(v);
    if (batch.length >= opts.batch) await run();
  }
  if (batch.length > 0) await run();
  store.putMeta("embed", { model: opts.modelVersion, dim: encoder.dim, stored, at: new Date().toISOString() });
  await store.flush();
  const seconds = (performance.now() - t0) / 1000;
  return { dataset: catalog.dataset, videos: done, stored, dim: encoder.dim, seconds, videosPerSecond: done / Math.max(1e-9, seconds) };
}

/** Adds every stored vector to an index (ids = video ids). Returns the number added. */
export function buildIndexFromVectors(store: VectorStore, index: AnnIndex, onProgress?: (added: number) => void): number {
  let n = 0;
  for (const [id, v] of store.entries()) {
    index.add(id, v);
    if (++n % 1000 === 0) onProgress?.(n);
  }
  onProgress?.(n);
  return n;
}
