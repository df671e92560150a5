import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { ModelError } from "../../../protocols/index.ts";
import type { LayerExporter } from "../onnx/layer-exporter.ts";

export interface AttentionPoolingArgs {
  name?: string;
  numHeads: number;
  keyDim: number;
  /** Output width after the output projection. */
  units: number;
  /** Seeds the weight initialisers (reproducible training); unseeded when absent. */
  seed?: number;
}

/** Added to the scores of masked-out items: softmax then gives them (numerically) zero weight. */
const MASKED = -1e9;

/**
 * Multi-head attention pooling over a set with a mask: inputs `[items [b, n, d], mask [b, n]]` and an optional
 * `query [b, q]` (without one each head learns its query). Used for fusing modalities (a missing modality is
 * masked) and for target attention over a history. Output [b, units].
 */
export class AttentionPooling extends tfl.layers.Layer {
  static readonly className = "AttentionPooling";
  readonly numHeads: number;
  readonly keyDim: number;
  readonly units: number;
  readonly seed: number | undefined;
  private w: Record<"key" | "value" | "query" | "out" | "outBias", tfl.LayerVariable> | undefined;

  constructor(args: AttentionPoolingArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.units = args.units;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shapes = inputShape as tfl.Shape[];
    const d = shapes[0]?.[2];
    if (typeof d !== "number") throw new ModelError(this.name, "build", "items need a fixed last dimension");
    const hk = this.numHeads * this.keyDim;
    const seed = (k: number) => (this.seed === undefined ? {} : { seed: this.seed + k });
    const glorot = (k: number) => tfl.initializers.glorotUniform(seed(k));
    const q = shapes[2]?.[1];
    this.w = {
      key: this.addWeight("key", [d, hk], "float32", glorot(0)),
      value: this.addWeight("value", [d, hk], "float32", glorot(1)),
      query: this.addWeight("query", typeof q === "number" ? [q, hk] : [hk], "float32", typeof q === "number" ? glorot(2) : tfl.initializers.randomNormal({ stddev: 0.5, ...seed(2) })),
      out: this.addWeight("out", [hk, this.units], "float32", glorot(3)),
      outBias: this.addWeight("out_bias", [this.units], "float32", tfl.initializers.zeros()),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [(inputShape as tfl.Shape[])[0]?.[0] ?? null, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [items, mask, query] = inputs as tf.Tensor[];
      const w = this.w!;
      const [h, k] = [this.numHeads, this.keyDim];
      const b = items!.shape[0]!;
      const n = items!.shape[1]!;
      const keys = tf.transpose(tf.reshape(tf.matMul(tf.reshape(items!, [b * n, -1]), w.key.read()), [b, n, h, k]), [0, 2, 1, 3]);
      const values = tf.transpose(tf.reshape(tf.matMul(tf.reshape(items!, [b * n, -1]), w.value.read()), [b, n, h, k]), [0, 2, 1, 3]);
      const q = query === undefined ? tf.reshape(w.query.read(), [1, h, k, 1]) : tf.reshape(tf.matMul(query, w.query.read()), [b, h, k, 1]);
      const scaled = tf.mul(q, 1 / Math.sqrt(k));
      const scores = tf.matMul(tf.broadcastTo(keys, [b, h, n, k]) as tf.Tensor4D, tf.broadcastTo(scaled, [b, h, k, 1]) as tf.Tensor4D); // [b, h, n, 1]
      const m = tf.reshape(mask!, [b, 1, n, 1]);
      const masked = tf.add(scores, tf.mul(tf.sub(1, m), MASKED));
      const attn = tf.softmax(tf.transpose(masked, [0, 1, 3, 2])); // [b, h, 1, n]
      const pooled = tf.reshape(tf.matMul(attn as tf.Tensor4D, values as tf.Tensor4D), [b, h * k]);
      return tf.add(tf.matMul(pooled, w.out.read()), w.outBias.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads, keyDim: this.keyDim, units: this.units };
  }
}
tf.serialization.registerClass(AttentionPooling);

/** MatMul/Softmax over [b, h, n, k]: the same arithmetic and order as `call`. */
export const exportAttentionPooling: LayerExporter = (ctx, layer, inputs, shapes) => {
  const g = ctx.graph;
  const a = layer as AttentionPooling;
  const [items, mask, query] = inputs;
  if (items === undefined || mask === undefined) throw new ModelError(layer.name, "export", "attention pooling needs items and a mask");
  const [h, k] = [a.numHeads, a.keyDim];
  const n = shapes[0]?.[1];
  if (typeof n !== "number") throw new ModelError(layer.name, "export", "attention pooling needs a fixed set size");
  const names = ["key", "value", "query", "out", "out_bias"];
  const [wk, wv, wq, wo, bo] = ctx.weights(layer).map((w, i) => g.initializer(`${layer.name}/${names[i]}`, w.data, w.shape));
  if (wk === undefined || wv === undefined || wq === undefined || wo === undefined || bo === undefined) {
    throw new ModelError(layer.name, "export", "attention pooling weights missing");
  }
  const split = (w: string) => g.op("Transpose", [g.op("Reshape", [g.op("MatMul", [items, w]), g.int64([0, n, h, k])])], { perm: { ints: [0, 2, 1, 3] } });
  const keys = split(wk);
  const values = split(wv);
  const q = query === undefined ? g.op("Reshape", [wq, g.int64([1, h, k, 1])]) : g.op("Reshape", [g.op("MatMul", [query, wq]), g.int64([0, h, k, 1])]);
  const scores = g.op("MatMul", [keys, g.op("Mul", [q, g.float(1 / Math.sqrt(k))])]);
  const m = g.op("Reshape", [mask, g.int64([0, 1, n, 1])]);
  const masked = g.op("Add", [scores, g.op("Mul", [g.op("Sub", [g.float(1), m]), g.float(MASKED)])]);
  const attn = g.op("Softmax", [g.op("Transpose", [masked], { perm: { ints: [0, 1, 3, 2] } })], { axis: { i: -1 } });
  const pooled = g.op("Reshape", [g.op("MatMul", [attn, values]), g.int64([0, h * k])]);
  return [g.op("Gemm", [pooled, wo, bo], undefined, layer.name)];
};
