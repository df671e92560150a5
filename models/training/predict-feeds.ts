import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { InvalidArgumentError } from "../../protocols/index.ts";
import type { Feeds } from "../inference/inference-session.ts";

/**
 * Runs a tfjs model on named plain-array inputs and returns named outputs, the same shape of data the ONNX
 * side takes and gives, so parity checks and evaluation compare like with like.
 */
export function predictFeeds(model: tfl.LayersModel, feeds: Feeds): Feeds {
  const out: Feeds = {};
  tf.tidy(() => {
    const xs = model.inputs.map((t) => {
      const f = feeds[t.sourceLayer.name];
      if (f === undefined) throw new InvalidArgumentError(`feeds.${t.sourceLayer.name}`, "missing model input");
      const data = f.data instanceof BigInt64Array ? Int32Array.from(f.data, Number) : f.data;
      return tf.tensor(data, f.dims, f.data instanceof Float32Array ? "float32" : "int32");
    });
    const ys = model.predict(xs.length === 1 ? xs[0]! : xs);
    const list = Array.isArray(ys) ? ys : [ys];
    model.outputs.forEach((t, i) => {
      const y = list[i]!;
      out[t.sourceLayer.name] = { data: Float32Array.from(y.dataSync() as Float32Array), dims: [...y.shape] };
    });
  });
  return out;
}
