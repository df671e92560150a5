import { createRng, ModelService, OnnxGraph, openOnnxSession, type Feeds } from "../../models/index.ts";
import { round, type Emit } from "../row.ts";

const DIMS = { input: 256, hidden: 128, heads: 6 };

/** The ranker-sized MLP of DESIGN.md §8 (256 -> 128 -> 6), built with the project's ONNX graph builder. */
export function mlp(): Uint8Array {
  const rng = createRng(1);
  const g = new OnnxGraph("bench_mlp");
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.05);
  const x = g.input("x", "float32", ["batch", DIMS.input]);
  const h = g.op("Relu", [g.op("Gemm", [x, g.initializer("w1", rand(DIMS.input * DIMS.hidden), [DIMS.input, DIMS.hidden]), g.initializer("b1", rand(DIMS.hidden), [DIMS.hidden])])]);
  g.node("Sigmoid", [g.op("Gemm", [h, g.initializer("w2", rand(DIMS.hidden * DIMS.heads), [DIMS.hidden, DIMS.heads]), g.initializer("b2", rand(DIMS.heads), [DIMS.heads])])], { outputs: ["y"] });
  g.output("y", "float32", ["batch", DIMS.heads]);
  return g.toBytes();
}

function row(): Feeds {
  const rng = createRng(2);
  return { x: { data: Float32Array.from({ length: DIMS.input }, () => rng.normal()), dims: [1, DIMS.input] } };
}

/** Rows per second through `ModelService` with `batch`-row batches fed by as many one-row callers. */
export async function batched(model: Uint8Array, batch: number, minMs: number, concurrent = 1): Promise<number> {
  const svc = new ModelService("bench", { maxBatchRows: batch, maxQueueRows: 1_000_000, maxConcurrentRuns: concurrent });
  await svc.load("v1", await openOnnxSession(model));
  const feeds = row();
  const t0 = performance.now();
  let rows = 0;
  const caller = async () => {
    while (performance.now() - t0 < minMs) {
      await svc.infer(feeds);
      rows++;
    }
  };
  await Promise.all(Array.from({ length: batch * 2 }, caller));
  const s = (performance.now() - t0) / 1000;
  await svc.close();
  return rows / s;
}

async function unbatchedRowsPerS(model: Uint8Array, minMs: number): Promise<number> {
  const session = await openOnnxSession(model);
  const feeds = row();
  const t0 = performance.now();
  let rows = 0;
  while (performance.now() - t0 < minMs) {
    await session.run(feeds);
    rows++;
  }
  const value = rows / ((performance.now() - t0) / 1000);
  await session.release();
  return value;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * `models.batching.rows_per_s`: dynamic batching at batch 1/32/256 vs calling the session one row at a time.
 * The four measurements are interleaved for `rounds` rounds (FYP_BENCH_BATCHING_ROUNDS, default 3) and each
 * row reports the median, so a burst of load on a shared machine hits all of them alike.
 */
export async function runBatching(emit: Emit, minMs = 1000): Promise<void> {
  const model = mlp();
  const rounds = Number(process.env["FYP_BENCH_BATCHING_ROUNDS"] ?? 3);
  const batches = [1, 32, 256];
  const unbatched: number[] = [];
  const byBatch = new Map<number, number[]>(batches.map((b) => [b, []]));
  for (let r = 0; r < rounds; r++) {
    unbatched.push(await unbatchedRowsPerS(model, minMs));
    for (const b of batches) byBatch.get(b)!.push(await batched(model, b, minMs));
  }
  const base = median(unbatched);
  const config = { model: `mlp ${DIMS.input}-${DIMS.hidden}-${DIMS.heads}`, intraOpThreads: 1, maxConcurrentRuns: 1, rounds, windowMs: minMs, statistic: "median" };
  emit({ name: "models.onnx.rows_per_s.unbatched", value: round(base, 0), unit: "rows/s", config: { ...config, samples: unbatched.map((x) => round(x, 0)) } });
  for (const b of batches) {
    const xs = byBatch.get(b)!;
    const value = median(xs);
    emit({ name: "models.batching.rows_per_s", value: round(value, 0), unit: "rows/s", baseline: round(base, 0), ratio: round(value / base, 2), config: { ...config, batch: b, samples: xs.map((x) => round(x, 0)) } });
  }
}

export async function run(emit: Emit): Promise<void> {
  await runBatching(emit);
}
