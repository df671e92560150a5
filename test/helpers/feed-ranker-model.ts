import { HEADS, OnnxGraph, createRng, feedFeatureWidth } from "../../models/index.ts";

/**
 * A small feed-ranker ONNX model (input `features` of the feed world's width, one sigmoid head per output
 * the ranker serves), built with the graph builder: real bytes for the model store and onnxruntime.
 */
export function feedRankerModel(dims: number, seed: number): Uint8Array {
  const w = feedFeatureWidth(dims);
  const rng = createRng(seed);
  const g = new OnnxGraph("feed-ranker");
  const x = g.input("features", "float32", ["batch", w]);
  for (const h of HEADS) {
    const wt = g.initializer(`w_${h}`, Float32Array.from({ length: w }, () => 0.1 * rng.normal()), [w, 1]);
    const b = g.initializer(`b_${h}`, Float32Array.of(rng.normal()), [1]);
    g.node("Sigmoid", [g.op("Gemm", [x, wt, b])], { outputs: [h] });
    g.output(h, "float32", ["batch", 1]);
  }
  return g.toBytes();
}
