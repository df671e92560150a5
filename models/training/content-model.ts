import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { CONTENT_MODEL_IO, TOWERS } from "../embeddings/content-features.ts";
import { AttentionPooling } from "./layers/attention-pooling.ts";
import { EmbeddingBag } from "./layers/embedding-bag.ts";

/** Sizes of the trained content model (config `dims` and `embeddings`). */
export interface ContentModelShape {
  textBuckets: number;
  textMaxTokens: number;
  metaBuckets: number;
  metaMaxTokens: number;
  /** Width of both embedding bags. */
  bagDim: number;
  /** Text tower output (config `dims.text`), also exported alone as the text encoder. */
  textDim: number;
  metaDim: number;
  /** Fused content vector (config `dims.content`). */
  contentDim: number;
  heads: number;
  /** Key width per attention head (small: two towers need little). */
  keyDim: number;
}

/**
 * Text tower (hashed sub-word n-grams -> embedding bag -> tanh projection) and metadata tower (hashed
 * category/tag/author/duration/music tokens -> embedding bag -> tanh projection), each projected to the content
 * width, then masked attention pooling over the two (a video without a caption uses metadata alone) and a
 * linear output named `content`. `text` is the text tower alone (the config-pluggable text encoder).
 */
export function buildContentModel(s: ContentModelShape, seed?: number): { model: tfl.LayersModel; text: tfl.LayersModel } {
  // seeded initialisers: the same settings train the same model (and the tests' figures are reproducible)
  const init = (k: number) => (seed === undefined ? {} : { seed: seed * 100 + k });
  const glorot = (k: number) => ({ kernelInitializer: tfl.initializers.glorotUniform(init(k)) });
  const io = CONTENT_MODEL_IO;
  const textIds = tfl.input({ shape: [s.textMaxTokens], dtype: "int32", name: io.text });
  const metaIds = tfl.input({ shape: [s.metaMaxTokens], dtype: "int32", name: io.meta });
  const mask = tfl.input({ shape: [TOWERS.length], name: io.mask });
  const sym = (x: unknown) => x as tfl.SymbolicTensor;
  const textBag = sym(new EmbeddingBag({ vocabSize: s.textBuckets, dim: s.bagDim, name: "text_bag", ...init(1) }).apply(textIds));
  const textVec = sym(tfl.layers.dense({ units: s.textDim, useBias: false, name: io.textOutput, ...glorot(2) }).apply(textBag));
  const metaBag = sym(new EmbeddingBag({ vocabSize: s.metaBuckets, dim: s.bagDim, name: "meta_bag", ...init(3) }).apply(metaIds));
  const metaVec = sym(tfl.layers.dense({ units: s.metaDim, useBias: false, name: "meta_vec", ...glorot(4) }).apply(metaBag));
  const c = s.contentDim;
  const projected = [textVec, metaVec].map((x, i) => sym(tfl.layers.dense({ units: c, useBias: false, name: `proj_${TOWERS[i]}`, ...glorot(5 + i) }).apply(x)));
  const set = sym(tfl.layers.reshape({ targetShape: [TOWERS.length, c] }).apply(tfl.layers.concatenate().apply(projected)));
  const heads = Math.max(1, Math.min(s.heads, c));
  const pooled = sym(new AttentionPooling({ numHeads: heads, keyDim: s.keyDim, units: c, name: "tower_attention", ...init(10) }).apply([set, mask]));
  // no closing layer norm: its gain can shrink to zero and leave every video on its bias (a collapse we measured).
  // The output bias is the centring: the batch-centred loss gives it no gradient (up to rounding)
  // and `centreContentModel` sets it to minus the catalog's mean output after training.
  const out = sym(tfl.layers.dense({ units: c, useBias: true, biasInitializer: "zeros", name: io.output, ...glorot(20) }).apply(pooled));
  return {
    model: tfl.model({ inputs: [textIds, metaIds, mask], outputs: out, name: "content_model" }),
    text: tfl.model({ inputs: textIds, outputs: textVec, name: "text_encoder" }),
  };
}

/** Row-wise L2 normalisation (the content space is cosine). */
export function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D;
}
