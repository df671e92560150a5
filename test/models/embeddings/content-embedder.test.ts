import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  ContentEmbedder, ContentFusion, createRng, loadTraining, OnnxEncoder, OnnxGraph, openOnnxSession, SequenceExtractor, TextExtractor, type Rng,
} from "../../../models/index.ts";
import { ModelError } from "../../../protocols/index.ts";

const T = await loadTraining();
await T.initTf();
const { tfl } = T;

const dir = mkdtempSync(join(tmpdir(), "fyp-enc-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const service = { maxBatchRows: 256, maxQueueRows: 100_000, maxConcurrentRuns: 1 };
const dims = { visual: 8, audio: 4, text: 6, content: 12 };
const FRAME = 10;
const hashing = { buckets: 1024, maxTokens: 24 };

const rand = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.3);

/** A "frame encoder" with config-chosen tensor names: relu(pixels W + b). */
function frameEncoder(rng: Rng, width: number, dim: number) {
  const W = rand(rng, width * dim);
  const b = rand(rng, dim);
  const g = new OnnxGraph("frames");
  const x = g.input("pixels", "float32", ["batch", width]);
  g.node("Relu", [g.op("Gemm", [x, g.initializer("W", W, [width, dim]), g.initializer("b", b, [dim])])], { outputs: ["embedding"] });
  g.output("embedding", "float32", ["batch", dim]);
  const js = (f: Float32Array) => Float32Array.from({ length: dim }, (_, j) => Math.max(0, b[j]! + f.reduce((s, v, i) => s + v * W[i * dim + j]!, 0)));
  return { bytes: g.toBytes(), js };
}

const rng = createRng(11);
const visual = frameEncoder(rng, FRAME, dims.visual);
const audio = frameEncoder(rng, 5, dims.audio);
writeFileSync(join(dir, "visual.onnx"), visual.bytes);
writeFileSync(join(dir, "audio.onnx"), audio.bytes);
// text encoder: hashed n-grams -> embedding bag -> projection, exported with the project's exporter
const tokens = tfl.input({ shape: [hashing.maxTokens], dtype: "int32", name: "ids" });
const bag = new T.EmbeddingBag({ vocabSize: hashing.buckets, dim: 16 }).apply(tokens) as InstanceType<typeof tfl.SymbolicTensor>;
const textOut = tfl.layers.dense({ units: dims.text, activation: "tanh", name: "text_vec" }).apply(bag) as InstanceType<typeof tfl.SymbolicTensor>;
writeFileSync(join(dir, "text.onnx"), T.exportLayersModel(tfl.model({ inputs: tokens, outputs: textOut })));
const fusionModel = T.buildFusionModel(dims, 3);
writeFileSync(join(dir, "fusion.onnx"), T.exportLayersModel(fusionModel));

const videos = [
  { frames: [rand(rng, FRAME), rand(rng, FRAME), rand(rng, FRAME)], audio: [rand(rng, 5), rand(rng, 5)], text: "萌宠 猫咪 睡觉 #cats" },
  { frames: [rand(rng, FRAME)], text: "How to cook the perfect steak" }, // silent video
  { audio: [rand(rng, 5)] }, // no frames decoded, no caption
  {},
];

t.test("embeddings - ONNX encoders named by config, temporal pooling, masked fusion -> unit content vectors", async (t) => {
  const ve = await OnnxEncoder.open({ model: join(dir, "visual.onnx"), input: "pixels", output: "embedding" }, openOnnxSession, service);
  const ae = await OnnxEncoder.open({ model: join(dir, "audio.onnx"), input: "pixels", output: "embedding" }, openOnnxSession, service);
  const te = await OnnxEncoder.open({ model: join(dir, "text.onnx"), input: "ids", output: "text_vec" }, openOnnxSession, service);
  const fusion = await ContentFusion.fromSession(await openOnnxSession(join(dir, "fusion.onnx")), dims, dims.content, service);
  const vx = new SequenceExtractor("visual", dims.visual, ve, "mean");
  const embedder = new ContentEmbedder([vx, new SequenceExtractor("audio", dims.audio, ae, "mean"), new TextExtractor(dims.text, te, hashing)], fusion);

  const v = await vx.extract(videos);
  const expected = videos[0]!.frames!.map(visual.js).reduce((acc, f) => acc.map((a, i) => a + f[i]! / 3), new Float32Array(dims.visual));
  t.ok(v[0]!.every((x, i) => Math.abs(x - expected[i]!) < 1e-5), "visual vector = mean of per-frame encoder outputs");
  t.equal(v[2], undefined, "no frames, no visual vector");

  const out = await embedder.embed(videos);
  t.equal(out[3], undefined, "a video with nothing to embed gets no vector");
  for (const i of [0, 1, 2]) {
    t.equal(out[i]!.length, dims.content);
    t.ok(Math.abs(Math.hypot(...out[i]!) - 1) < 1e-5, `video ${i}: unit length`);
  }

  // the silent video's fused vector equals the tfjs fusion model with audio masked out
  const [vis] = await vx.extract([videos[1]!]);
  const [txt] = await new TextExtractor(dims.text, te, hashing).extract([videos[1]!]);
  const ref = T.predictFeeds(fusionModel, {
    visual: { data: vis!, dims: [1, dims.visual] },
    audio: { data: rand(createRng(99), dims.audio), dims: [1, dims.audio] }, // masked: its values must not matter
    text: { data: txt!, dims: [1, dims.text] },
    mask: { data: Float32Array.of(1, 0, 1), dims: [1, 3] },
  })["content"]!.data as Float32Array;
  const n = Math.hypot(...ref);
  t.ok(out[1]!.every((x, i) => Math.abs(x - ref[i]! / n) < 1e-4), "missing modality is masked, fusion matches the trained graph");
  await Promise.all([ve.close(), ae.close(), te.close(), fusion.close()]);
});

t.test("embeddings - a config naming a tensor the model lacks fails at load with the names it has", async (t) => {
  let caught: unknown;
  try {
    await OnnxEncoder.open({ model: join(dir, "visual.onnx"), input: "frames", output: "embedding" }, openOnnxSession, service);
  } catch (e) {
    caught = e;
  }
  t.ok(caught instanceof ModelError);
  t.match((caught as Error).message, /no input "frames" \(has pixels\)/);
});
