import t from "tap";
import { createFunctionSession, createRng, ModelService, OnnxGraph, openOnnxSession, type BatchInfo, type Feeds, type InferenceSession } from "../../../models/index.ts";
import { InvalidArgumentError, ModelError, OverloadedError } from "../../../protocols/index.ts";

/** x [b, 8] -> relu(x W1 + b1) W2 + b2 -> y [b, 3], built directly with the graph builder. */
function mlpBytes(seed: number): Uint8Array {
  const rng = createRng(seed);
  const g = new OnnxGraph("mlp");
  const x = g.input("x", "float32", ["batch", 8]);
  const w1 = g.initializer("w1", Float32Array.from({ length: 8 * 16 }, () => rng.normal()), [8, 16]);
  const b1 = g.initializer("b1", Float32Array.from({ length: 16 }, () => rng.normal()), [16]);
  const w2 = g.initializer("w2", Float32Array.from({ length: 16 * 3 }, () => rng.normal()), [16, 3]);
  const h = g.op("Relu", [g.op("Gemm", [x, w1, b1])]);
  g.node("Gemm", [h, w2], { outputs: ["y"] });
  g.output("y", "float32", ["batch", 3]);
  return g.toBytes();
}

function rowsOf(rng: ReturnType<typeof createRng>, rows: number): Feeds {
  return { x: { data: Float32Array.from({ length: rows * 8 }, () => rng.normal()), dims: [rows, 8] } };
}

const opts = (over: Partial<ConstructorParameters<typeof ModelService>[1]> = {}) => ({ maxBatchRows: 1024, maxQueueRows: 100_000, maxConcurrentRuns: 1, ...over });

t.test("model service - callers in one tick share one session run and each gets its own rows", async (t) => {
  const session = await openOnnxSession(mlpBytes(1));
  const batches: BatchInfo[] = [];
  const svc = new ModelService("mlp", opts({ onBatch: (b) => batches.push(b) }));
  await svc.load("v1", session);
  const rng = createRng(7);
  const requests = Array.from({ length: 50 }, (_, i) => rowsOf(rng, 1 + (i % 4)));
  const results = await Promise.all(requests.map((f) => svc.infer(f)));
  t.equal(batches.length, 1, "one run");
  t.equal(batches[0]!.requests, 50);
  t.equal(batches[0]!.rows, requests.reduce((s, f) => s + f["x"]!.dims[0]!, 0));
  const direct = await openOnnxSession(mlpBytes(1));
  let maxDiff = 0;
  let dimsMatch = true;
  for (let i = 0; i < requests.length; i++) {
    const alone = (await direct.run(requests[i]!))["y"]!;
    const got = results[i]!.outputs["y"]!;
    dimsMatch &&= got.dims.join() === alone.dims.join();
    for (let k = 0; k < alone.data.length; k++) maxDiff = Math.max(maxDiff, Math.abs(Number(got.data[k]) - Number(alone.data[k])));
  }
  t.ok(dimsMatch, "each caller gets its own row count back");
  t.ok(maxDiff < 1e-5, `batched rows equal unbatched rows (max diff ${maxDiff})`);
  t.ok(results.every((r) => r.version === "v1"));
  await direct.release();
  await svc.close();
});

t.test("model service - a full batch starts at maxBatchRows and no batch is larger", async (t) => {
  const batches: BatchInfo[] = [];
  const svc = new ModelService("mlp", opts({ maxBatchRows: 8, onBatch: (b) => batches.push(b) }));
  await svc.load("v1", await openOnnxSession(mlpBytes(1)));
  const rng = createRng(8);
  await Promise.all(Array.from({ length: 10 }, () => svc.infer(rowsOf(rng, 2))));
  t.same(batches.map((b) => b.rows), [8, 8, 4]);
  t.equal(svc.stats.rows, 20);
  await svc.close();
});

t.test("model service - requests with different non-batch shapes run in separate batches", async (t) => {
  const seen: number[][] = [];
  const session = createFunctionSession({
    inputNames: ["x"],
    outputNames: ["y"],
    run: (f) => {
      seen.push(f["x"]!.dims);
      const x = f["x"]!;
      const width = x.dims[1]!;
      return { y: { data: Float32Array.from({ length: x.dims[0]! }, (_, r) => (x.data as Float32Array).slice(r * width, (r + 1) * width).reduce((a, b) => a + b, 0)), dims: [x.dims[0]!, 1] } };
    },
  });
  const svc = new ModelService("sum", opts());
  await svc.load("v1", session);
  const [a, b, c] = await Promise.all([
    svc.infer({ x: { data: Float32Array.of(1, 2), dims: [1, 2] } }),
    svc.infer({ x: { data: Float32Array.of(1, 2, 3), dims: [1, 3] } }),
    svc.infer({ x: { data: Float32Array.of(4, 5), dims: [1, 2] } }),
  ]);
  t.same(seen, [[2, 2], [1, 3]]);
  t.same([...(a!.outputs["y"]!.data as Float32Array), ...(b!.outputs["y"]!.data as Float32Array), ...(c!.outputs["y"]!.data as Float32Array)], [3, 6, 9]);
  await svc.close();
});

t.test("model service - hot swap: the running batch finishes on the old model, later ones use the new", async (t) => {
  let releaseOld = 0;
  let unblock!: () => void;
  const gate = new Promise<void>((r) => (unblock = r));
  let started!: () => void;
  const runStarted = new Promise<void>((r) => (started = r));
  const constant = (value: number, blockFirst: boolean, onRelease?: () => void): InferenceSession =>
    createFunctionSession({
      inputNames: ["x"],
      outputNames: ["y"],
      run: async (f) => {
        if (blockFirst) {
          started();
          await gate;
        }
        return { y: { data: new Float32Array(f["x"]!.dims[0]!).fill(value), dims: [f["x"]!.dims[0]!, 1] } };
      },
      ...(onRelease ? { onRelease } : {}),
    });
  const svc = new ModelService("swap", opts());
  await svc.load("v1", constant(1, true, () => releaseOld++));
  const inflight = svc.infer({ x: { data: new Float32Array(2), dims: [1, 2] } });
  await runStarted;
  await svc.load("v2", constant(2, false));
  t.equal(releaseOld, 0, "old session kept while its batch runs");
  const later = svc.infer({ x: { data: new Float32Array(2), dims: [1, 2] } });
  unblock();
  const [r1, r2] = await Promise.all([inflight, later]);
  t.equal(r1.version, "v1");
  t.equal(r1.outputs["y"]!.data[0], 1);
  t.equal(r2.version, "v2");
  t.equal(r2.outputs["y"]!.data[0], 2);
  await svc.idle();
  t.equal(releaseOld, 1, "old session released once drained");
  await svc.close();
});

t.test("model service - overload, bad input and failing runs give typed errors", async (t) => {
  const svc = new ModelService("mlp", opts({ maxQueueRows: 4 }));
  await svc.load("v1", await openOnnxSession(mlpBytes(1)));
  const rng = createRng(9);
  const ok = svc.infer(rowsOf(rng, 4));
  await t.rejects(svc.infer(rowsOf(rng, 1)), OverloadedError);
  await ok;
  await t.rejects(svc.infer({ x: { data: new Float32Array(0), dims: [0, 8] } }), InvalidArgumentError);
  await t.rejects(svc.infer({ x: { data: new Float32Array(5), dims: [1, 5] } }), ModelError, "wrong width fails in the session");
  await svc.close();
  await t.rejects(svc.infer(rowsOf(rng, 1)), ModelError, "closed");
});
