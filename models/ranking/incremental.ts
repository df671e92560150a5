import type { SessionFactory } from "../inference/inference-session.ts";
import { ModelService } from "../inference/model-service.ts";
import { HEADS, NUM_HEADS } from "./heads.ts";
import { auc, mae } from "./metrics.ts";
import { newVersion, writeModelVersion, type ModelCard } from "./model-card.ts";
import { scoreThroughService, type InferenceConfig, type TrainProgress } from "./train-ranker.ts";

type Training = typeof import("../training/training.ts");

/** Rows of a stream window: row-major features and head-major targets. */
export interface RowWindow {
  x: Float32Array;
  y: readonly Float32Array[];
  rows: number;
}

export interface WindowMetrics {
  auc: Record<string, number>;
  watch_ratio_mae: number;
  rows: number;
}

export interface IncrementalOptions {
  parent: { card: ModelCard; tfjs: { json: string; weights: Uint8Array }; mid: Uint8Array };
  /** Recent events to learn from (mini-batches, `epochs` passes). */
  window: RowWindow;
  /** Events after the window: both versions are scored on them. */
  holdout: RowWindow;
  width: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  watchRatioCap: number;
  inference: InferenceConfig;
  openSession: SessionFactory;
  modelsDir: string;
  save?: boolean;
  onProgress?: (p: TrainProgress) => void;
}

/**
 * Incremental training: resumes the parent's tfjs weights, trains on a window of recent events, exports a
 * new ONNX version whose card names the parent and carries both versions' metrics on the holdout that
 * follows the window (served through ModelService). The model-sync coordinator schedules it.
 */
export async function updateRanker(T: Training, o: IncrementalOptions): Promise<{ version: string; dir: string | undefined; card: ModelCard; before: WindowMetrics; after: WindowMetrics }> {
  const model = await T.loadModelArtifacts(o.parent.tfjs.json, o.parent.tfjs.weights);
  const score = async (onnx: Uint8Array) => {
    const svc = new ModelService("ranker", { maxBatchRows: o.inference.maxBatchRows, maxQueueRows: 1 << 22, maxConcurrentRuns: o.inference.maxConcurrentRuns });
    await svc.load("eval", await o.openSession(onnx, { intraOpThreads: o.inference.intraOpThreads }));
    const p = await scoreThroughService(svc, o.holdout.x, o.width, 0, o.holdout.rows);
    await svc.close();
    return windowMetrics(p, o.holdout, o.watchRatioCap);
  };
  const before = await score(T.exportLayersModel(model, { name: "ranker" }));
  const losses = await T.fitArrays(model, o.window.x, o.width, [...o.window.y], {
    epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, seed: o.seed, loss: "binaryCrossentropy", rows: o.window.rows,
    onBatch: (p) => o.onProgress?.({ phase: "incremental", done: p.epoch * p.batches + p.batch + 1, total: o.epochs * p.batches, info: { loss: p.loss.toFixed(4) } }),
  });
  const onnx = T.exportLayersModel(model, { name: "ranker" });
  const after = await score(onnx);
  const artifacts = await T.saveModelArtifacts(model);
  model.dispose();
  const version = newVersion("ranker");
  const card: ModelCard = {
    ...o.parent.card,
    version, parent: o.parent.card.version, createdAt: new Date().toISOString(),
    split: { kind: "stream", windowRows: o.window.rows, holdoutRows: o.holdout.rows },
    training: { kind: "incremental", epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, losses },
    metrics: { holdout: after, parentOnHoldout: before },
  };
  const dir = o.save === false ? undefined : writeModelVersion(o.modelsDir, card, {
    "ranker.onnx": onnx, "interest-mid.onnx": o.parent.mid, "ranker.tfjs.json": artifacts.json, "ranker.weights.bin": artifacts.weights,
  });
  return { version, dir, card, before, after };
}

export function windowMetrics(p: readonly Float32Array[], w: RowWindow, cap: number): WindowMetrics {
  const a: Record<string, number> = {};
  for (let h = 1; h < NUM_HEADS; h++) a[HEADS[h]!] = auc(p[h]!, w.y[h]!.subarray(0, w.rows));
  return { auc: a, watch_ratio_mae: mae(p[0]!.map((v) => v * cap), w.y[0]!.subarray(0, w.rows).map((v) => v * cap)), rows: w.rows };
}
