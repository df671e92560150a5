import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { ModelError } from "../../../protocols/index.ts";
import type { LayerExporter } from "../onnx/layer-exporter.ts";

export interface EmbeddingBagArgs {
  name?: string;
  /** Table rows; id 0 is padding and never contributes. */
  vocabSize: number;
  dim: number;
  mode?: "mean" | "sum";
}

/**
 * Pools the embeddings of a padded bag of ids (e.g. hashed sub-word n-grams of a title): [batch, len] int32
 * -> [batch, dim]. Padding (id 0) is masked out, so bags of any length share one fixed-width input.
 */
export class EmbeddingBag extends tfl.layers.Layer {
  static readonly className = "EmbeddingBag";
  readonly vocabSize: number;
  readonly dim: number;
  readonly mode: "mean" | "sum";
  private table: tfl.LayerVariable | undefined;

  constructor(args: EmbeddingBagArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.vocabSize = args.vocabSize;
    this.dim = args.dim;
    this.mode = args.mode ?? "mean";
  }

  override build(): void {
    const init = tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05 });
    this.table = this.addWeight("embeddings", [this.vocabSize, this.dim], "float32", init);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = inputShape as tfl.Shape;
    return [s[0] ?? null, this.dim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.cast(Array.isArray(inputs) ? inputs[0]! : inputs, "int32");
      const rows = tf.gather(this.table!.read(), ids); // [b, len, dim]
      const mask = tf.expandDims(tf.cast(tf.notEqual(ids, 0), "float32"), -1);
      const sum = tf.sum(tf.mul(rows, mask), 1);
      if (this.mode === "sum") return sum;
      return tf.div(sum, tf.maximum(tf.sum(mask, 1), 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, dim: this.dim, mode: this.mode };
  }
}
tf.serialization.registerClass(EmbeddingBag);

/** Gather + mask + ReduceSum (+ divide by the non-padding count), the same arithmetic as `call`. */
export const exportEmbeddingBag: LayerExporter = (ctx, layer, inputs) => {
  const g = ctx.graph;
  const bag = layer as EmbeddingBag;
  const [table] = ctx.weights(layer);
  const raw = inputs[0];
  if (table === undefined || raw === undefined) throw new ModelError(layer.name, "export", "embedding bag needs its table and ids");
  const w = g.initializer(`${layer.name}/embeddings`, table.data, table.shape);
  // ids may arrive as float when the Keras input kept its default dtype
  const ids = g.op("Cast", [raw], { to: { i: 6 } });
  const rows = g.op("Gather", [w, ids], { axis: { i: 0 } }, layer.name);
  const zero = g.initializer(`${layer.name}/pad`, Int32Array.of(0), []);
  const mask = g.op("Unsqueeze", [g.op("Cast", [g.op("Not", [g.op("Equal", [ids, zero])])], { to: { i: 1 } }), g.int64([-1])]);
  const sum = g.op("ReduceSum", [g.op("Mul", [rows, mask]), g.int64([1])], { keepdims: { i: 0 } });
  if (bag.mode === "sum") return [sum];
  const count = g.op("Max", [g.op("ReduceSum", [mask, g.int64([1])], { keepdims: { i: 0 } }), g.float(1)]);
  return [g.op("Div", [sum, count])];
};
