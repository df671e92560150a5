import type * as tfl from "@tensorflow/tfjs-layers";
import type { Catalog } from "../datasets/catalog.ts";
import { CONTENT_MODEL_IO, contentFeatures, videoText, metaTokens, type ContentFeatureOptions, type ContentItem } from "../embeddings/content-features.ts";
import type { ContentModelCard } from "../embeddings/content-model-store.ts";
import type { SessionFactory } from "../inference/inference-session.ts";
import { buildContentCorpus, type ContentCorpusOptions } from "./content-corpus.ts";
import { buildContentModel, type ContentModelShape } from "./content-model.ts";
import { trainContentModel, type ContentTrainOptions, type ContentTrainReport } from "./content-trainer.ts";
import { exportLayersModel } from "./onnx/export-layers-model.ts";
import { predictFeeds } from "./predict-feeds.ts";
import { initTf } from "./tf-runtime.ts";

/** The config slices training needs (`embeddings`, `embeddings.content`, `dims`), as plain values. */
export interface TrainContentSettings {
  features: ContentFeatureOptions;
  shape: Omit<ContentModelShape, keyof ContentFeatureOptions>;
  corpus: ContentCorpusOptions;
  train: Omit<ContentTrainOptions, "onProgress">;
}

export interface TrainedContentModel {
  card: ContentModelCard;
  content: Uint8Array;
  text: Uint8Array;
  model: tfl.LayersModel;
  report: ContentTrainReport;
}

export type TrainContentProgress =
  | { phase: "corpus"; items: number; groups: Record<string, number> }
  | { phase: "train"; step: number; steps: number; loss: number; group: string }
  | { phase: "export"; bytes: number }
  | { phase: "parity"; maxAbsDiff: number };

/**
 * Trains the default content model on imported catalogs, exports it (whole model and text tower) to ONNX and
 * checks parity of the exported graph against the trained model on real catalog rows. `openSession` is the
 * ONNX runtime (models/inference) used for the parity check.
 */
export async function trainContent(catalogs: readonly Catalog[], s: TrainContentSettings, openSession: SessionFactory, version: string, onProgress?: (p: TrainContentProgress) => void): Promise<TrainedContentModel> {
  await initTf();
  const corpus = buildContentCorpus(catalogs, s.corpus, (i) => videoText(i.video) !== "", (i) => metaTokens(i).length > 0);
  // a group too small for one batch (e.g. the 100-row KuaiRec fixture) teaches nothing and only adds noise
  corpus.groups = corpus.groups.filter((g) => g.train.length / 2 >= s.train.batchSize * 4);
  onProgress?.({ phase: "corpus", items: corpus.items.length, groups: Object.fromEntries(corpus.groups.map((g) => [g.name, g.train.length / 2])) });
  const features = contentFeatures(corpus.items, s.features);
  const { model, text } = buildContentModel({ ...s.features, ...s.shape }, s.train.seed);
  const report = await trainContentModel(model, corpus, features, s.features, { ...s.train, onProgress: (p) => onProgress?.({ phase: "train", ...p }) });
  const content = exportLayersModel(model, { name: "content_model", docString: `fyp content model ${version}` });
  const textBytes = exportLayersModel(text, { name: "text_encoder", docString: `fyp text encoder ${version}` });
  onProgress?.({ phase: "export", bytes: content.length });
  const parity = await checkParity(model, content, corpus.items, s.features, openSession);
  onProgress?.({ phase: "parity", maxAbsDiff: parity.maxAbsDiff });
  const card: ContentModelCard = {
    kind: "content-model",
    version,
    createdAt: new Date().toISOString(),
    features: s.features,
    dims: { text: s.shape.textDim, content: s.shape.contentDim },
    io: { ...CONTENT_MODEL_IO },
    files: { content: "content.onnx", text: "text.onnx" },
    shape: s.shape,
    objective: "symmetric in-batch sampled softmax (batch-centred, L2-normalised, cosine / temperature) over co-engaged pairs (per dataset) + caption<->metadata alignment",
    corpus: { options: s.corpus, stats: corpus.stats, alignItems: { train: corpus.align.train.length, heldOut: corpus.align.heldOut.length } },
    training: { options: s.train, ...report },
    parity,
  };
  return { card, content, text: textBytes, model, report };
}

/** Max |tfjs - onnxruntime| over real rows (texts of every script, metadata-only and text-only videos). */
export async function checkParity(model: tfl.LayersModel, onnx: Uint8Array, items: readonly ContentItem[], fo: ContentFeatureOptions, openSession: SessionFactory, rows = 256): Promise<{ rows: number; maxAbsDiff: number }> {
  const step = Math.max(1, Math.floor(items.length / rows));
  const sample = items.filter((_, i) => i % step === 0).slice(0, rows);
  const f = contentFeatures(sample, fo);
  const io = CONTENT_MODEL_IO;
  const feeds = {
    [io.text]: { data: f.text, dims: [f.rows, fo.textMaxTokens] },
    [io.meta]: { data: f.meta, dims: [f.rows, fo.metaMaxTokens] },
    [io.mask]: { data: f.mask, dims: [f.rows, 2] },
  };
  const ref = predictFeeds(model, feeds)[io.output]!.data as Float32Array;
  const session = await openSession(onnx);
  try {
    const got = (await session.run(feeds))[io.output]!.data as Float32Array;
    let max = 0;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i]! - got[i]!));
    return { rows: sample.length, maxAbsDiff: max };
  } finally {
    await session.release();
  }
}
