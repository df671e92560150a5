import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { InvalidArgumentError, NotFoundError } from "../../protocols/index.ts";
import type { SessionFactory } from "../inference/inference-session.ts";
import { ModelService } from "../inference/model-service.ts";
import { windowMetrics, type WindowMetrics } from "../ranking/incremental.ts";
import { HEADS } from "../ranking/heads.ts";
import { newVersion, writeModelVersion, type ModelCard } from "../ranking/model-card.ts";
import { scoreThroughService } from "../ranking/train-ranker.ts";
import { FEED_SCALARS } from "./feed-features.ts";
import type { FeedLogData } from "./feed-log.ts";
import { PriorRanker } from "./ranker.ts";

type Training = typeof import("../training/training.ts");

/** The model name under `ranking.modelsDir`: `<modelsDir>/feed-ranker/<version>/`. */
export const FEED_RANKER_NAME = "feed-ranker";

/** A trained feed ranker's tfjs weights (to resume from) and card. */
export interface FeedRankerParent {
  card: ModelCard;
  tfjs: { json: string; weights: Uint8Array };
}

export interface FeedRankerTrainOptions {
  /** Logged rows in time order; the last `holdoutShare` of them are the holdout. */
  data: FeedLogData;
  holdoutShare: number;
  /** Resume these weights (incremental training); else a fresh network with `hidden` / `tower`. */
  parent?: FeedRankerParent;
  hidden: readonly number[];
  tower: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  openSession: SessionFactory;
  /** Where the version is written (`<modelsDir>/feed-ranker/<version>/`, LATEST updated); none when undefined. */
  modelsDir: string | undefined;
  /** What the rows came from (profile, seed, sessions, ...): goes into the card's `data`. */
  source: Record<string, unknown>;
  onProgress?: (p: { phase: string; done: number; total: number; info?: Record<string, string> }) => void;
}

export interface FeedRankerTrainResult {
  version: string;
  dir: string | undefined;
  card: ModelCard;
  onnx: Uint8Array;
  holdout: WindowMetrics;
  /** The hand-set prior on the same holdout rows. */
  prior: WindowMetrics;
  /** The parent model on the same holdout rows (incremental training only). */
  parentOnHoldout?: WindowMetrics;
}

/**
 * Trains the feed ranker (the multi-task shared-bottom network of models/training/ranker-network.ts) on rows
 * logged from the simulated world, exports ONNX, scores the holdout through ModelService (the serving path)
 * next to the hand-set prior, and writes a version with its model card. With `parent` it is the incremental
 * update: the parent's weights go on learning from the new rows, and the card names the parent and carries
 * the parent's metrics on the same holdout. The model-sync coordinator calls this.
 */
export async function trainFeedRanker(T: Training, o: FeedRankerTrainOptions): Promise<FeedRankerTrainResult> {
  const d = o.data;
  if (d.rows < 20) throw new InvalidArgumentError("events", "needs at least 20 logged rows", d.rows);
  const parentWidth = o.parent?.card.features.width;
  if (parentWidth !== undefined && parentWidth !== d.width) throw new InvalidArgumentError("events", `rows are ${d.width} wide; the parent model takes ${parentWidth}`, d.width);
  const holdoutRows = Math.max(1, Math.floor(d.rows * o.holdoutShare));
  const trainRows = d.rows - holdoutRows;
  const holdout = { x: d.x.subarray(trainRows * d.width), y: d.y.map((a) => a.subarray(trainRows)), rows: holdoutRows };
  const score = async (onnx: Uint8Array): Promise<WindowMetrics> => {
    const svc = new ModelService("feed-ranker", { maxBatchRows: 4096, maxQueueRows: 1 << 24, maxConcurrentRuns: 1 });
    await svc.load("eval", await o.openSession(onnx, { intraOpThreads: 1 }));
    const p = await scoreThroughService(svc, holdout.x, d.width, 0, holdout.rows, 1024);
    await svc.close();
    return windowMetrics(p, holdout, d.watchRatioCap);
  };
  const model = o.parent !== undefined
    ? await T.loadModelArtifacts(o.parent.tfjs.json, o.parent.tfjs.weights)
    : T.buildRankerNetwork({ width: d.width, hidden: o.hidden, tower: o.tower, heads: HEADS, seed: o.seed });
  const parentOnHoldout = o.parent !== undefined ? await score(T.exportLayersModel(model, { name: "ranker" })) : undefined;
  const losses = await T.fitArrays(model, d.x, d.width, d.y, {
    epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, seed: o.seed, loss: "binaryCrossentropy", rows: trainRows,
    onBatch: (p) => o.onProgress?.({ phase: "train", done: p.epoch * p.batches + p.batch + 1, total: o.epochs * p.batches, info: { loss: p.loss.toFixed(4) } }),
  });
  const onnx = T.exportLayersModel(model, { name: "ranker" });
  const after = await score(onnx);
  const prior = windowMetrics(priorOnRows(holdout.x, d.width, holdout.rows, d.watchRatioCap), holdout, d.watchRatioCap);
  const artifacts = await T.saveModelArtifacts(model);
  model.dispose();
  const version = newVersion(FEED_RANKER_NAME);
  const card: ModelCard = {
    name: FEED_RANKER_NAME,
    version,
    parent: o.parent?.card.version ?? null,
    createdAt: new Date().toISOString(),
    data: { kind: "simulated world feed log", ...o.source, rows: d.rows, servedBy: d.servedBy },
    split: { kind: "time tail", trainRows, holdoutRows },
    dims: { content: d.dims },
    features: { width: d.width, scalars: [...FEED_SCALARS, `short[${d.dims}]`, `content[${d.dims}]`, `short*content[${d.dims}]`] },
    network: { kind: "shared-bottom multi-task MLP", hidden: o.parent?.card.network["hidden"] ?? [...o.hidden], tower: o.parent?.card.network["tower"] ?? o.tower, heads: [...HEADS], watchRatioCap: d.watchRatioCap },
    training: { kind: o.parent !== undefined ? "incremental" : "full", epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, seed: o.seed, losses },
    metrics: { holdout: after, prior, ...(parentOnHoldout !== undefined ? { parentOnHoldout } : {}) },
    files: { onnx: "ranker.onnx", tfjs: "ranker.tfjs.json", weights: "ranker.weights.bin" },
  };
  const dir = o.modelsDir === undefined ? undefined : writeModelVersion(o.modelsDir, card, { "ranker.onnx": onnx, "ranker.tfjs.json": artifacts.json, "ranker.weights.bin": artifacts.weights });
  return { version, dir, card, onnx, holdout: after, prior, parentOnHoldout };
}

/** The hand-set prior's predictions from feature rows (its inputs are among the features), head-major. */
function priorOnRows(x: Float32Array, width: number, rows: number, cap: number): Float32Array[] {
  const out = HEADS.map(() => new Float32Array(rows));
  const prior = new PriorRanker();
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    const durationMs = Math.expm1(x[o + 3]! * 5) * 1000;
    const [p] = prior.predict(
      [{ video: { id: r, category: 0, authorId: 0, durationMs, vector: new Float32Array(0) }, similarity: x[o]!, affinity: x[o + 1]!, quality: x[o + 2]! }],
      { session: { fatigue: x[o + 4]! } as never, nowMs: 0, depth: 0 },
    );
    out[0]![r] = Math.min(p!.watchRatio, cap) / cap;
    out[1]![r] = p!.complete;
    out[2]![r] = p!.rewatch;
    out[3]![r] = p!.continue;
    out[4]![r] = p!.skipFast;
    out[5]![r] = p!.watchRatio / 1.5;
  }
  return out;
}

/** A trained feed ranker on disk: its ONNX bytes, card and folder. */
export interface FeedRankerFiles {
  dir: string;
  onnx: Uint8Array;
  card: ModelCard;
  tfjs: { json: string; weights: Uint8Array } | undefined;
}

/**
 * Reads a feed ranker (synchronously, so a node can be built without awaiting): `path` is a version folder
 * (card.json + ranker.onnx), a model folder with LATEST (`<modelsDir>/feed-ranker`), or an .onnx file
 * with card.json beside it.
 */
export function readFeedRanker(path: string): FeedRankerFiles {
  if (!existsSync(path)) throw new NotFoundError(`feed ranker model ${path}`);
  let dir = path;
  if (statSync(path).isFile()) {
    if (!path.endsWith(".onnx")) throw new InvalidArgumentError("feed.ranker", "must be prior, a model folder or an .onnx file", path);
    dir = dirname(path);
  } else if (existsSync(join(path, "LATEST")) && !existsSync(join(path, "card.json"))) {
    dir = join(path, readFileSync(join(path, "LATEST"), "utf8").trim());
  }
  const cardPath = join(dir, "card.json");
  if (!existsSync(cardPath)) throw new NotFoundError(`model card ${cardPath}`);
  const card = JSON.parse(readFileSync(cardPath, "utf8")) as ModelCard;
  const onnxPath = statSync(path).isFile() ? path : join(dir, card.files["onnx"] ?? "ranker.onnx");
  if (!existsSync(onnxPath)) throw new NotFoundError(`ONNX model ${onnxPath}`);
  const tj = join(dir, card.files["tfjs"] ?? "ranker.tfjs.json");
  const tw = join(dir, card.files["weights"] ?? "ranker.weights.bin");
  const tfjs = existsSync(tj) && existsSync(tw) ? { json: readFileSync(tj, "utf8"), weights: new Uint8Array(readFileSync(tw)) } : undefined;
  return { dir, onnx: new Uint8Array(readFileSync(onnxPath)), card, tfjs };
}
