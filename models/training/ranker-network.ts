import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { ModelError } from "../../protocols/index.ts";
import { createRng } from "../random/rng.ts";

type Sym = tfl.SymbolicTensor;

/**
 * The multi-task ranker: `features` [batch, width] -> shared bottom (Dense relu per `hidden` width) -> one
 * small tower per head -> sigmoid. With `linear: true` each head is a logistic regression on the raw
 * features (the baseline, same inputs, same losses). Outputs are named after the heads.
 */
export function buildRankerNetwork(opts: { width: number; hidden: readonly number[]; tower: number; heads: readonly string[]; seed: number; linear?: boolean }): tfl.LayersModel {
  const input = tfl.input({ shape: [opts.width], name: "features" });
  let seed = opts.seed;
  const init = () => tfl.initializers.glorotUniform({ seed: seed++ });
  let h: Sym = input;
  if (!opts.linear) {
    opts.hidden.forEach((units, i) => {
      h = tfl.layers.dense({ units, activation: "relu", kernelInitializer: init(), name: `shared_${i}` }).apply(h) as Sym;
    });
  }
  const outputs = opts.heads.map((head) => {
    let t: Sym = h;
    if (!opts.linear) t = tfl.layers.dense({ units: opts.tower, activation: "relu", kernelInitializer: init(), name: `tower_${head}` }).apply(h) as Sym;
    return tfl.layers.dense({ units: 1, activation: "sigmoid", kernelInitializer: init(), name: head }).apply(t) as Sym;
  });
  return tfl.model({ inputs: input, outputs, name: opts.linear ? "ranker_logreg" : "ranker" });
}

/**
 * The mid-term interest encoder: `seq` [batch, N, stepDim] -> GRU (`mid`, the interest) -> Dense (`query`,
 * a content-space retrieval query). Returns the model to export (both outputs) and the one to train
 * (query only, cosine loss against the next engaged item's content vector); they share layers.
 */
export function buildMidEncoderNetwork(opts: { seqLen: number; stepDim: number; mid: number; content: number; seed: number }): { serve: tfl.LayersModel; train: tfl.LayersModel } {
  const seq = tfl.input({ shape: [opts.seqLen, opts.stepDim], name: "seq" });
  const mid = tfl.layers.gru({
    units: opts.mid, name: "mid", recurrentActivation: "sigmoid",
    kernelInitializer: tfl.initializers.glorotUniform({ seed: opts.seed }),
    recurrentInitializer: tfl.initializers.glorotUniform({ seed: opts.seed + 1 }),
  }).apply(seq) as Sym;
  const query = tfl.layers.dense({ units: opts.content, name: "query", kernelInitializer: tfl.initializers.glorotUniform({ seed: opts.seed + 2 }) }).apply(mid) as Sym;
  return {
    serve: tfl.model({ inputs: seq, outputs: [mid, query], name: "interest_mid" }),
    train: tfl.model({ inputs: seq, outputs: query, name: "interest_mid_train" }),
  };
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Loss per output (one string for all). */
  loss: string | string[];
  /** Called after every batch with the running mean loss of the epoch. */
  onBatch?: (p: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** Only the first `rows` rows (default all). */
  rows?: number;
  /** Compile before fitting (false to keep the optimizer state of a model being trained incrementally). */
  compile?: boolean;
}

/**
 * Mini-batch training over plain arrays without materialising them as one tensor (so seed-profile widths
 * fit in wasm memory): `x` is row-major [rows, width], `ys[k]` the k-th output's targets, row-major.
 * Returns the mean loss of each epoch.
 */
export async function fitArrays(model: tfl.LayersModel, x: Float32Array, width: number, ys: readonly Float32Array[], opts: FitOptions): Promise<number[]> {
  const rows = opts.rows ?? x.length / width;
  if (ys.length !== model.outputs.length) throw new ModelError(model.name, "fit", `${ys.length} targets for ${model.outputs.length} outputs`);
  const yWidth = model.outputs.map((o) => o.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1));
  const xShape = model.inputs[0]!.shape.slice(1) as number[];
  if (opts.compile !== false) model.compile({ optimizer: tf.train.adam(opts.learningRate), loss: opts.loss });
  const rng = createRng(opts.seed);
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const batches = Math.ceil(rows / opts.batchSize);
  const xb = new Float32Array(opts.batchSize * width);
  const ybs = yWidth.map((w) => new Float32Array(opts.batchSize * w));
  const epochLoss: number[] = [];
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let sum = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * opts.batchSize;
      const n = Math.min(opts.batchSize, rows - start);
      for (let k = 0; k < n; k++) {
        const r = order[start + k]!;
        xb.set(x.subarray(r * width, (r + 1) * width), k * width);
        ys.forEach((y, o) => ybs[o]!.set(y.subarray(r * yWidth[o]!, (r + 1) * yWidth[o]!), k * yWidth[o]!));
      }
      const xt = tf.tensor(xb.subarray(0, n * width), [n, ...xShape]);
      const yt = ybs.map((y, o) => tf.tensor2d(y.subarray(0, n * yWidth[o]!), [n, yWidth[o]!]));
      const out = await model.trainOnBatch(xt, yt.length === 1 ? yt[0]! : yt);
      tf.dispose([xt, ...yt]);
      const loss = Array.isArray(out) ? out[0]! : out;
      sum += loss;
      opts.onBatch?.({ epoch, batch: b, batches, loss: sum / (b + 1) });
    }
    epochLoss.push(sum / batches);
  }
  return epochLoss;
}

/** Runs the model over row-major `x` in chunks; returns each output row-major (head-major for the ranker). */
export function predictArrays(model: tfl.LayersModel, x: Float32Array, width: number, chunk = 4096): Float32Array[] {
  const rows = x.length / width;
  const xShape = model.inputs[0]!.shape.slice(1) as number[];
  const widths = model.outputs.map((o) => o.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1));
  const outs = widths.map((w) => new Float32Array(rows * w));
  for (let s = 0; s < rows; s += chunk) {
    const n = Math.min(chunk, rows - s);
    tf.tidy(() => {
      const y = model.predict(tf.tensor(x.subarray(s * width, (s + n) * width), [n, ...xShape]));
      (Array.isArray(y) ? y : [y]).forEach((t, o) => outs[o]!.set(t.dataSync() as Float32Array, s * widths[o]!));
    });
  }
  return outs;
}

/** A trained model as two buffers (topology JSON, weights) so incremental training can resume it. */
export async function saveModelArtifacts(model: tfl.LayersModel): Promise<{ json: string; weights: Uint8Array }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    captured = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  if (captured === undefined || captured.weightData === undefined) throw new ModelError(model.name, "save", "no artifacts");
  const wd = captured.weightData;
  const buf = wd instanceof ArrayBuffer ? wd : tf.io.concatenateArrayBuffers(wd);
  return { json: JSON.stringify({ modelTopology: captured.modelTopology, weightSpecs: captured.weightSpecs }), weights: new Uint8Array(buf) };
}

export async function loadModelArtifacts(json: string, weights: Uint8Array): Promise<tfl.LayersModel> {
  const parsed = JSON.parse(json) as { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[] };
  const data = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: parsed.weightSpecs, weightData: data }));
}
