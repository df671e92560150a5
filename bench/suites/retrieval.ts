import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BruteForceIndex, createRng, HnswIndex } from "../../models/index.ts";
import { round, type Emit } from "../row.ts";
import { runBatching } from "./models.ts";

// `small` profile content width; the target is 1M vectors (FYP_BENCH_ANN_N overrides for quick runs)
const DIM = 32;
const N = Number(process.env["FYP_BENCH_ANN_N"] ?? 1_000_000);
const QUERIES = 200;
const K = 100;
const PARAMS = { m: Number(process.env["FYP_BENCH_ANN_M"] ?? 16), efConstruction: 100, efSearch: Number(process.env["FYP_BENCH_ANN_EF"] ?? 128), capacity: N };

/** Topic-clustered vectors, like content embeddings (uniform noise would make ANN look worse than it is). */
function* vectors(n: number, seed: number): Generator<Float32Array> {
  const rng = createRng(seed);
  const centers = Array.from({ length: 1000 }, () => Float32Array.from({ length: DIM }, () => rng.normal()));
  for (let i = 0; i < n; i++) {
    const c = centers[rng.int(centers.length)]!;
    yield Float32Array.from(c, (v) => v + 0.7 * rng.normal());
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** `retrieval.hnsw.*` on synthetic vectors against brute force, then `models.batching.*`. */
export async function run(emit: Emit): Promise<void> {
  const config = { vectors: N, dim: DIM, k: K, queries: QUERIES, metric: "cosine", ...PARAMS };
  const hnsw = HnswIndex.create(DIM, "cosine", PARAMS);
  const exact = new BruteForceIndex(DIM);
  let buildMs = 0;
  let id = 0;
  for (const v of vectors(N, 1)) {
    const t0 = performance.now();
    hnsw.add(id, v);
    buildMs += performance.now() - t0;
    exact.add(id++, v);
  }
  emit({ name: "retrieval.hnsw.build_s", value: round(buildMs / 1000, 1), unit: "s", config });
  const dir = mkdtempSync(join(tmpdir(), "fyp-bench-ann-"));
  try {
    const file = join(dir, "index.bin");
    hnsw.save(file);
    emit({ name: "retrieval.hnsw.index_bytes", value: statSync(file).size, unit: "bytes", config });
    const t0 = performance.now();
    HnswIndex.load(file);
    emit({ name: "retrieval.hnsw.load_s", value: round((performance.now() - t0) / 1000, 2), unit: "s", config });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // FYP_BENCH_ANN_SWEEP="32,64,128,256": the query rows once per efSearch on the same index (the recall/latency trade-off)
  const sweep = (process.env["FYP_BENCH_ANN_SWEEP"] ?? String(PARAMS.efSearch)).split(",").map(Number);
  const queries = [...vectors(QUERIES, 2)];
  const truths: Set<number>[] = [];
  let exactMs = 0;
  for (const q of queries) {
    const t1 = performance.now();
    truths.push(new Set(exact.search(q, K).map((n) => n.id)));
    exactMs += performance.now() - t1;
  }
  for (const ef of sweep) {
    hnsw.setEfSearch(ef);
    const cfg = { ...config, efSearch: ef };
    for (const q of queries.slice(0, 20)) hnsw.search(q, K); // warm-up
    const lat: number[] = [];
    let hits = 0;
    queries.forEach((q, i) => {
      const t0 = performance.now();
      const got = hnsw.search(q, K);
      lat.push(performance.now() - t0);
      hits += got.filter((n) => truths[i]!.has(n.id)).length;
    });
    lat.sort((a, b) => a - b);
    const meanMs = lat.reduce((a, b) => a + b, 0) / lat.length;
    emit({ name: `retrieval.hnsw.recall@${K}`, value: round(hits / (QUERIES * K), 4), unit: "ratio", config: cfg });
    emit({ name: "retrieval.hnsw.query_p50_ms", value: round(quantile(lat, 0.5), 3), unit: "ms", config: cfg });
    emit({ name: "retrieval.hnsw.query_p99_ms", value: round(quantile(lat, 0.99), 3), unit: "ms", config: cfg });
    // ratio = brute-force time / hnsw time (higher is better)
    emit({ name: "retrieval.hnsw.qps", value: round(1000 / meanMs, 0), unit: "queries/s", baseline: round((1000 * QUERIES) / exactMs, 1), ratio: round(exactMs / QUERIES / meanMs, 1), config: cfg });
  }
  if (process.env["FYP_BENCH_SKIP_BATCHING"] !== "1") await runBatching(emit);
}
