import t from "tap";
import { createRng, hashTextFeatures, loadTraining, openOnnxSession, type Feeds, type Rng } from "../../../models/index.ts";
import { ModelError } from "../../../protocols/index.ts";

const T = await loadTraining();
await T.initTf();
const { tf, tfl } = T;
type Model = InstanceType<typeof tfl.LayersModel>;

const TOL = 1e-4;

function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Trains for a few steps so the weights are not the initial ones; returns the first and last loss. */
async function train(model: Model, feeds: Feeds, targets: Record<string, Float32Array | number[][]>, loss: string | Record<string, string>, epochs = 4) {
  model.compile({ optimizer: tf.train.adam(0.01), loss });
  const xs = model.inputs.map((s) => {
    const f = feeds[s.sourceLayer.name]!;
    return tf.tensor(f.data as Float32Array | Int32Array, f.dims, f.data instanceof Int32Array ? "int32" : "float32");
  });
  const ys = model.outputs.map((o) => {
    const y = targets[o.sourceLayer.name]!;
    return Array.isArray(y) ? tf.tensor2d(y) : tf.tensor2d(y, [y.length, 1]);
  });
  const h = await model.fit(xs, ys, { epochs, batchSize: 16, verbose: 0, shuffle: false });
  tf.dispose([...xs, ...ys]);
  const losses = h.history["loss"] as number[];
  return { first: losses[0]!, last: losses[losses.length - 1]! };
}

/** Max |tfjs - onnxruntime| over every output of the model. */
async function parity(model: Model, feeds: Feeds): Promise<{ maxDiff: number; outputs: string[] }> {
  const bytes = T.exportLayersModel(model);
  const session = await openOnnxSession(bytes);
  const onnx = await session.run(feeds);
  const ref = T.predictFeeds(model, feeds);
  let maxDiff = 0;
  for (const [name, r] of Object.entries(ref)) {
    const o = onnx[name];
    if (o === undefined) throw new Error(`onnx output ${name} missing`);
    if (o.dims.join() !== r.dims.join()) throw new Error(`${name}: dims ${o.dims} vs ${r.dims}`);
    for (let i = 0; i < r.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(Number(r.data[i]) - Number(o.data[i])));
  }
  await session.release();
  return { maxDiff, outputs: Object.keys(onnx).sort() };
}

const TITLES = [
  "快手 美食 教程 #家常菜 红烧肉的做法",
  "今天去海边玩了 🌊 #旅行 #日常",
  "萌宠 猫咪 睡觉 太可爱了",
  "Funny cats compilation 2024 #cats #funny",
  "How to cook the perfect steak at home",
  "Top 10 football goals of the season",
  "篮球 训练 基本功 #运动 Basketball drills",
  "Relaxing piano music for sleep and study",
];

t.test("dense MLP (Gemm, Relu, Tanh, Sigmoid) matches after training", async (t) => {
  const rng = createRng(1);
  const n = 64;
  const x = randn(rng, n * 12);
  const y = Float32Array.from({ length: n }, (_, i) => (x[i * 12]! + x[i * 12 + 1]! > 0 ? 1 : 0));
  const input = tfl.input({ shape: [12], name: "features" });
  let h = tfl.layers.dense({ units: 32, activation: "relu" }).apply(input) as InstanceType<typeof tfl.SymbolicTensor>;
  h = tfl.layers.dense({ units: 16, activation: "tanh" }).apply(h) as InstanceType<typeof tfl.SymbolicTensor>;
  const out = tfl.layers.dense({ units: 1, activation: "sigmoid", name: "p" }).apply(h) as InstanceType<typeof tfl.SymbolicTensor>;
  const model = tfl.model({ inputs: input, outputs: out });
  const loss = await train(model, { features: { data: x, dims: [n, 12] } }, { p: y }, "binaryCrossentropy", 8);
  t.ok(loss.last < loss.first, `training lowered the loss (${loss.first.toFixed(4)} -> ${loss.last.toFixed(4)})`);
  const r = await parity(model, { features: { data: x, dims: [n, 12] } });
  t.ok(r.maxDiff <= TOL, `max abs diff ${r.maxDiff}`);
  t.same(r.outputs, ["p"]);
});

t.test("embedding bag over hashed n-grams of Chinese and English titles matches (mean and sum)", async (t) => {
  const opts = { buckets: 2048, maxTokens: 48 };
  const n = TITLES.length * 4;
  const ids = new Int32Array(n * opts.maxTokens);
  for (let i = 0; i < n; i++) ids.set(hashTextFeatures(TITLES[i % TITLES.length]!, opts), i * opts.maxTokens);
  t.ok(ids.some((v) => v === 0) && ids.every((v) => v >= 0 && v < opts.buckets), "ids are padded and in range");
  const y = Float32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
  for (const mode of ["mean", "sum"] as const) {
    const input = tfl.input({ shape: [opts.maxTokens], dtype: "int32", name: "tokens" });
    const bag = new T.EmbeddingBag({ vocabSize: opts.buckets, dim: 16, mode }).apply(input) as InstanceType<typeof tfl.SymbolicTensor>;
    const out = tfl.layers.dense({ units: 1, activation: "sigmoid", name: "p" }).apply(bag) as InstanceType<typeof tfl.SymbolicTensor>;
    const model = tfl.model({ inputs: input, outputs: out });
    const before = model.layers[1]!.getWeights()[0]!.dataSync().slice();
    await train(model, { tokens: { data: ids, dims: [n, opts.maxTokens] } }, { p: y }, "binaryCrossentropy", 3);
    const after = model.layers[1]!.getWeights()[0]!.dataSync();
    t.ok(after.some((v, i) => v !== before[i]), `${mode}: the embedding table was trained (gather gradient on wasm)`);
    const r = await parity(model, { tokens: { data: ids, dims: [n, opts.maxTokens] } });
    t.ok(r.maxDiff <= TOL, `${mode}: max abs diff ${r.maxDiff}`);
  }
});

t.test("GRU (ONNX GRU, z-r-h gates, linear_before_reset=0) matches: last state and sequences", async (t) => {
  const rng = createRng(2);
  const [n, steps, feat] = [32, 10, 6];
  const x = randn(rng, n * steps * feat);
  const y = Float32Array.from({ length: n }, (_, i) => x[i * steps * feat]!);
  const input = tfl.input({ shape: [steps, feat], name: "history" });
  // default tfjs recurrent activation (hard sigmoid) in the first layer, plain sigmoid in the second
  const seq = tfl.layers.gru({ units: 8, returnSequences: true }).apply(input) as InstanceType<typeof tfl.SymbolicTensor>;
  const last = tfl.layers.gru({ units: 12, recurrentActivation: "sigmoid" }).apply(seq) as InstanceType<typeof tfl.SymbolicTensor>;
  const out = tfl.layers.dense({ units: 1, name: "y" }).apply(last) as InstanceType<typeof tfl.SymbolicTensor>;
  const model = tfl.model({ inputs: input, outputs: out });
  await train(model, { history: { data: x, dims: [n, steps, feat] } }, { y }, "meanSquaredError", 3);
  const r = await parity(model, { history: { data: x, dims: [n, steps, feat] } });
  t.ok(r.maxDiff <= TOL, `max abs diff ${r.maxDiff}`);
});

t.test("attention pooling over a masked set matches, with a learned query and with a query input", async (t) => {
  const rng = createRng(3);
  const [n, items, d] = [40, 3, 8];
  const x = randn(rng, n * items * d);
  // every third row misses one modality, every fifth misses two
  const mask = Float32Array.from({ length: n * items }, (_, i) => {
    const [row, j] = [Math.floor(i / items), i % items];
    return (row % 3 === 0 && j === 1) || (row % 5 === 0 && j === 2) || (row % 5 === 0 && j === 0) ? 0 : 1;
  });
  const q = randn(rng, n * 5);
  const y = Float32Array.from({ length: n }, (_, i) => x[i * items * d]!);
  for (const withQuery of [false, true]) {
    const xs = tfl.input({ shape: [items, d], name: "items" });
    const m = tfl.input({ shape: [items], name: "mask" });
    const qi = tfl.input({ shape: [5], name: "query" });
    const pooled = new T.AttentionPooling({ numHeads: 2, keyDim: 4, units: 6 }).apply(withQuery ? [xs, m, qi] : [xs, m]) as InstanceType<typeof tfl.SymbolicTensor>;
    const out = tfl.layers.dense({ units: 1, name: "y" }).apply(pooled) as InstanceType<typeof tfl.SymbolicTensor>;
    const model = tfl.model({ inputs: withQuery ? [xs, m, qi] : [xs, m], outputs: out });
    const feeds: Feeds = { items: { data: x, dims: [n, items, d] }, mask: { data: mask, dims: [n, items] } };
    if (withQuery) feeds["query"] = { data: q, dims: [n, 5] };
    await train(model, feeds, { y }, "meanSquaredError", 3);
    const r = await parity(model, feeds);
    t.ok(r.maxDiff <= TOL, `query=${withQuery}: max abs diff ${r.maxDiff}`);
  }
});

t.test("a masked-out item does not change the attention output", async (t) => {
  const rng = createRng(4);
  const xs = tfl.input({ shape: [3, 4], name: "items" });
  const m = tfl.input({ shape: [3], name: "mask" });
  const out = new T.AttentionPooling({ numHeads: 1, keyDim: 4, units: 4, name: "fused" }).apply([xs, m]) as InstanceType<typeof tfl.SymbolicTensor>;
  const model = tfl.model({ inputs: [xs, m], outputs: out });
  const a = randn(rng, 12);
  const b = a.slice();
  for (let k = 8; k < 12; k++) b[k] = 100 * rng.normal(); // change only the masked third item
  const mask = Float32Array.of(1, 1, 0);
  const session = await openOnnxSession(T.exportLayersModel(model));
  const ra = await session.run({ items: { data: a, dims: [1, 3, 4] }, mask: { data: mask, dims: [1, 3] } });
  const rb = await session.run({ items: { data: b, dims: [1, 3, 4] }, mask: { data: mask, dims: [1, 3] } });
  const da = ra["fused"]!.data as Float32Array;
  const db = rb["fused"]!.data as Float32Array;
  t.ok(da.every((v, i) => Math.abs(v - db[i]!) < 1e-6), "output ignores the masked item");
  await session.release();
});

t.test("layer norm (opset 17 LayerNormalization) matches", async (t) => {
  const rng = createRng(5);
  const n = 48;
  const x = Float32Array.from(randn(rng, n * 10), (v) => 3 * v + 1);
  const y = Float32Array.from({ length: n }, (_, i) => x[i * 10]!);
  const input = tfl.input({ shape: [10], name: "x" });
  const h = tfl.layers.dense({ units: 16, activation: "relu" }).apply(input) as InstanceType<typeof tfl.SymbolicTensor>;
  const ln = tfl.layers.layerNormalization({}).apply(h) as InstanceType<typeof tfl.SymbolicTensor>;
  const out = tfl.layers.dense({ units: 1, name: "y" }).apply(ln) as InstanceType<typeof tfl.SymbolicTensor>;
  const model = tfl.model({ inputs: input, outputs: out });
  await train(model, { x: { data: x, dims: [n, 10] } }, { y }, "meanSquaredError", 3);
  const r = await parity(model, { x: { data: x, dims: [n, 10] } });
  t.ok(r.maxDiff <= TOL, `max abs diff ${r.maxDiff}`);
});

t.test("multi-task heads (shared trunk, five outputs incl. softmax, concat of inputs) match", async (t) => {
  const rng = createRng(6);
  const n = 64;
  const user = randn(rng, n * 8);
  const item = randn(rng, n * 8);
  const ui = tfl.input({ shape: [8], name: "user" });
  const ii = tfl.input({ shape: [8], name: "item" });
  const cat = tfl.layers.concatenate().apply([ui, ii]) as InstanceType<typeof tfl.SymbolicTensor>;
  const trunk = tfl.layers.dropout({ rate: 0.1 }).apply(tfl.layers.dense({ units: 24, activation: "relu" }).apply(cat)) as InstanceType<typeof tfl.SymbolicTensor>;
  const head = (name: string, units: number, activation: "sigmoid" | "linear" | "softmax") =>
    tfl.layers.dense({ units, activation, name }).apply(trunk) as InstanceType<typeof tfl.SymbolicTensor>;
  const outs = [head("watch_time", 1, "linear"), head("complete", 1, "sigmoid"), head("rewatch", 1, "sigmoid"), head("skip_fast", 1, "sigmoid"), head("bucket", 3, "softmax")];
  const model = tfl.model({ inputs: [ui, ii], outputs: outs });
  const bin = Float32Array.from({ length: n }, (_, i) => (user[i * 8]! * item[i * 8]! > 0 ? 1 : 0));
  const oneHot = Array.from({ length: n }, (_, i) => [0, 1, 2].map((k) => (k === i % 3 ? 1 : 0)));
  const feeds: Feeds = { user: { data: user, dims: [n, 8] }, item: { data: item, dims: [n, 8] } };
  await train(
    model,
    feeds,
    { watch_time: Float32Array.from(bin, (b) => 10 * b), complete: bin, rewatch: bin, skip_fast: Float32Array.from(bin, (b) => 1 - b), bucket: oneHot },
    { watch_time: "meanSquaredError", complete: "binaryCrossentropy", rewatch: "binaryCrossentropy", skip_fast: "binaryCrossentropy", bucket: "categoricalCrossentropy" },
    3,
  );
  const r = await parity(model, feeds);
  t.same(r.outputs, ["bucket", "complete", "rewatch", "skip_fast", "watch_time"]);
  t.ok(r.maxDiff <= TOL, `max abs diff ${r.maxDiff}`);
});

t.test("a layer without an exporter fails with a model error naming it", async (t) => {
  const input = tfl.input({ shape: [4, 4, 1], name: "img" });
  const out = tfl.layers.conv2d({ filters: 2, kernelSize: 2, name: "conv" }).apply(input) as InstanceType<typeof tfl.SymbolicTensor>;
  const model = tfl.model({ inputs: input, outputs: out });
  let caught: unknown;
  try {
    T.exportLayersModel(model);
  } catch (e) {
    caught = e;
  }
  t.ok(caught instanceof ModelError, "a ModelError");
  t.match((caught as Error).message, /conv \(Conv2D\) has no ONNX exporter/);
});
