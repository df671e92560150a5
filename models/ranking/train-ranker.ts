import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { LabelRules } from "../datasets/labels.ts";
import type { SessionFactory } from "../inference/inference-session.ts";
import { ModelService } from "../inference/model-service.ts";
import { MID_IO, MidTermEncoder, midStepDim } from "../interest/mid-term.ts";
import type { InterestDims, InterestOptions } from "../interest/user-interests.ts";
import { createRng } from "../random/rng.ts";
import { evaluateRanking, type RankingMetrics } from "./evaluate.ts";
import { SCALAR_FEATURES, unit, writeMidFeatures } from "./features.ts";
import { HEADS, NUM_HEADS, type RankingWeights } from "./heads.ts";
import { buildKuaiRandRows, sequencesOf, type KuaiRandRows } from "./kuairand-rows.ts";
import { newVersion, readModelCard, versionDir, writeModelVersion, type ModelCard } from "./model-card.ts";

type Training = typeof import("../training/training.ts");
type LayersModel = ReturnType<Training["buildRankerNetwork"]>;

/** The `ranking` config slice the trainer reads. */
export interface RankerTrainConfig {
  weights: RankingWeights;
  hidden: readonly number[];
  tower: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  watchRatioCap: number;
  trainEnd: string;
  validEnd: string;
  incrementalEpochs: number;
  seed: number;
}

export interface InferenceConfig {
  maxBatchRows: number;
  maxQueueRows: number;
  maxConcurrentRuns: number;
  intraOpThreads: number;
}

export interface TrainProgress {
  phase: string;
  done: number;
  total: number;
  info?: Record<string, string | number>;
}

export interface RankerTrainOptions {
  /** The kuairand/ dataset folder. */
  datasetDir: string;
  rules: LabelRules;
  dims: InterestDims;
  interest: InterestOptions;
  ranking: RankerTrainConfig;
  inference: InferenceConfig;
  openSession: SessionFactory;
  modelsDir: string;
  /** Keep one user in `userModulo` (fast runs in tests). */
  userModulo?: number;
  /** Rows the mid-term GRU is trained on (sampled long views of the training days). */
  midTrainRows?: number;
  midEpochs?: number;
  /** Also train the logistic-regression baseline and evaluate it and popularity in the same run. */
  baselines?: boolean;
  /** Write the version to `modelsDir` (default true). */
  save?: boolean;
  onProgress?: (p: TrainProgress) => void;
  log?: Logger;
}

export interface RankerTrainResult {
  version: string;
  dir: string | undefined;
  card: ModelCard;
  metrics: RankingMetrics;
  baselines: { popularity?: RankingMetrics; logreg?: RankingMetrics };
  /** max |tfjs − onnxruntime| over sampled validation rows, every head. */
  parity: number;
  rows: KuaiRandRows;
}

let training: Promise<Training> | undefined;
async function loadTf(): Promise<Training> {
  training ??= import("../training/training.ts").then(async (T) => {
    await T.initTf();
    return T;
  });
  return training;
}

function serviceOf(name: string, inf: InferenceConfig): ModelService {
  return new ModelService(name, { maxBatchRows: inf.maxBatchRows, maxQueueRows: Math.max(inf.maxQueueRows, 1 << 20), maxConcurrentRuns: inf.maxConcurrentRuns });
}

/** Runs `rows` feature rows through a served ranker, `chunk` rows a request, all requests in flight together. */
export async function scoreThroughService(svc: ModelService, x: Float32Array, width: number, from: number, count: number, chunk = 256): Promise<Float32Array[]> {
  const out = HEADS.map(() => new Float32Array(count));
  const jobs: Promise<void>[] = [];
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    jobs.push(svc.infer({ features: { data: x.subarray((from + s) * width, (from + s + n) * width), dims: [n, width] } }).then(({ outputs }) => {
      HEADS.forEach((h, k) => out[k]!.set(outputs[h]!.data as Float32Array, s));
    }));
  }
  await Promise.all(jobs);
  return out;
}

/**
 * Trains the mid-term GRU and the multi-task ranker on the KuaiRand time split, exports both to ONNX, scores
 * the validation days through ModelService (the serving path), and writes a version with its model card.
 */
export async function trainRanker(o: RankerTrainOptions): Promise<RankerTrainResult> {
  const progress = o.onProgress ?? (() => {});
  const T = await loadTf();
  const cfg = o.ranking;
  const rows = await buildKuaiRandRows({
    dir: o.datasetDir, rules: o.rules, dims: o.dims, interest: o.interest, watchRatioCap: cfg.watchRatioCap,
    trainEnd: cfg.trainEnd, validEnd: cfg.validEnd, ...(o.userModulo === undefined ? {} : { userModulo: o.userModulo }),
    onProgress: (p) => progress({ phase: p.phase, done: p.done, total: p.total }),
  });
  o.log?.info({ rows: rows.rows, train: rows.trainRows, valid: rows.validRows, users: rows.users, videos: rows.videos }, "ranker rows built");

  // 1. mid-term GRU: next long-viewed item's content vector from the engagements before it
  const mid = await trainMidEncoder(T, rows, o, progress);
  const midSvc = serviceOf("interest_mid", o.inference);
  await midSvc.load("mid", await o.openSession(mid.onnx, { intraOpThreads: o.inference.intraOpThreads }));
  const encoder = new MidTermEncoder(midSvc, rows.seqLen, o.dims.content, o.dims.mid);
  await fillMidTerm(rows, encoder, progress);
  await midSvc.close();

  // 2. the ranker (and the logistic-regression baseline on the same rows)
  const width = rows.layout.width;
  const fit = async (model: LayersModel, label: string) =>
    T.fitArrays(model, rows.x, width, rows.y, {
      epochs: cfg.epochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, seed: cfg.seed, loss: "binaryCrossentropy", rows: rows.trainRows,
      onBatch: (p) => progress({ phase: label, done: p.epoch * p.batches + p.batch + 1, total: cfg.epochs * p.batches, info: { epoch: p.epoch + 1, loss: p.loss.toFixed(4) } }),
    });
  const model = T.buildRankerNetwork({ width, hidden: cfg.hidden, tower: cfg.tower, heads: HEADS, seed: cfg.seed });
  const losses = await fit(model, "train ranker");
  const onnx = T.exportLayersModel(model, { name: "ranker" });

  // 3. validation days through the served ONNX model
  const svc = serviceOf("ranker", o.inference);
  await svc.load("candidate", await o.openSession(onnx, { intraOpThreads: o.inference.intraOpThreads }));
  const preds = await scoreThroughService(svc, rows.x, width, rows.trainRows, rows.validRows);
  await svc.close();
  const parity = parityOf(T, model, rows, preds);
  const metrics = evaluateRanking(rows, preds, cfg.weights, cfg.watchRatioCap);

  const baselines: RankerTrainResult["baselines"] = {};
  if (o.baselines) {
    baselines.popularity = evaluateRanking(rows, rows.popularity.map((p) => p.subarray(rows.trainRows, rows.trainRows + rows.validRows)), cfg.weights, cfg.watchRatioCap);
    const lr = T.buildRankerNetwork({ width, hidden: [], tower: 1, heads: HEADS, seed: cfg.seed, linear: true });
    await fit(lr, "train logreg");
    const lrPreds = T.predictArrays(lr, rows.x.subarray(rows.trainRows * width, (rows.trainRows + rows.validRows) * width), width);
    baselines.logreg = evaluateRanking(rows, lrPreds, cfg.weights, cfg.watchRatioCap);
  }

  const version = newVersion("ranker");
  const artifacts = await T.saveModelArtifacts(model);
  const card: ModelCard = {
    name: "ranker", version, parent: null, createdAt: new Date().toISOString(),
    data: { dataset: "kuairand", dir: o.datasetDir, rows: rows.rows, users: rows.users, videos: rows.videos, userModulo: o.userModulo ?? 1 },
    split: { kind: "time", trainEnd: cfg.trainEnd, validEnd: cfg.validEnd, trainRows: rows.trainRows, validRows: rows.validRows, timezone: "UTC+8" },
    dims: { ...o.dims },
    features: { width, scalars: SCALAR_FEATURES },
    network: { kind: "shared-bottom", hidden: cfg.hidden, tower: cfg.tower, heads: HEADS, watchRatioCap: cfg.watchRatioCap, midSeqLen: rows.seqLen },
    training: { epochs: cfg.epochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, seed: cfg.seed, losses, midLosses: mid.losses, midRows: mid.rows, interest: o.interest, parity },
    metrics,
    baselines: baselines as Record<string, RankingMetrics>,
    files: { ranker: "ranker.onnx", interestMid: "interest-mid.onnx", tfjs: "ranker.tfjs.json", weights: "ranker.weights.bin" },
  };
  const dir = o.save === false ? undefined : writeModelVersion(o.modelsDir, card, {
    "ranker.onnx": onnx, "interest-mid.onnx": mid.onnx, "ranker.tfjs.json": artifacts.json, "ranker.weights.bin": artifacts.weights,
  });
  model.dispose();
  return { version, dir, card, metrics, baselines, parity, rows };
}

async function trainMidEncoder(T: Training, rows: KuaiRandRows, o: RankerTrainOptions, progress: (p: TrainProgress) => void) {
  const dC = o.dims.content;
  const rng = createRng(o.ranking.seed + 1);
  const candidates: number[] = [];
  for (let r = 0; r < rows.trainRows; r++) {
    if (rows.y[5]![r]! > 0.5 && rows.hist[r * rows.seqLen + rows.seqLen - 2]! >= 0) candidates.push(r);
  }
  const want = Math.min(candidates.length, o.midTrainRows ?? 10_000);
  for (let i = 0; i < want; i++) {
    const j = i + rng.int(candidates.length - i);
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const ids = candidates.slice(0, want);
  const seq = sequencesOf(rows, ids);
  const target = new Float32Array(ids.length * dC);
  ids.forEach((r, k) => target.set(rows.content(rows.videoId[r]!), k * dC));
  const net = T.buildMidEncoderNetwork({ seqLen: rows.seqLen, stepDim: midStepDim(dC), mid: o.dims.mid, content: dC, seed: o.ranking.seed + 100 });
  const epochs = o.midEpochs ?? 1;
  const losses = ids.length === 0 ? [] : await T.fitArrays(net.train, seq, rows.seqLen * midStepDim(dC), [target], {
    epochs, batchSize: 256, learningRate: 0.005, seed: o.ranking.seed, loss: "cosineProximity",
    onBatch: (p) => progress({ phase: "train mid-term GRU", done: p.epoch * p.batches + p.batch + 1, total: epochs * p.batches, info: { loss: p.loss.toFixed(4) } }),
  });
  const onnx = T.exportLayersModel(net.serve, { name: "interest_mid" });
  net.serve.dispose();
  return { onnx, losses, rows: ids.length };
}

/** Runs the mid-term encoder over every row's history (batched through ModelService) and writes the mid block. */
export async function fillMidTerm(rows: KuaiRandRows, encoder: MidTermEncoder, progress: (p: TrainProgress) => void = () => {}): Promise<void> {
  const chunk = 256;
  const inFlight = 8;
  const dM = rows.layout.dims.mid;
  const dC = rows.layout.dims.content;
  for (let s = 0; s < rows.rows; s += chunk * inFlight) {
    const jobs: Promise<void>[] = [];
    for (let c = 0; c < inFlight; c++) {
      const from = s + c * chunk;
      if (from >= rows.rows) break;
      const ids = Int32Array.from({ length: Math.min(chunk, rows.rows - from) }, (_, k) => from + k);
      jobs.push(encoder.encodeRaw(sequencesOf(rows, ids), ids.length).then(({ mid, query }) => {
        for (let k = 0; k < ids.length; k++) {
          const r = ids[k]!;
          const q = rows.hist[r * rows.seqLen + rows.seqLen - 1]! < 0 ? new Float32Array(dC) : unit(query.subarray(k * dC, (k + 1) * dC));
          writeMidFeatures(rows.x, r, rows.layout, mid.subarray(k * dM, (k + 1) * dM), q, rows.content(rows.videoId[r]!));
        }
      }));
    }
    await Promise.all(jobs);
    progress({ phase: "encode mid-term", done: Math.min(rows.rows, s + chunk * inFlight), total: rows.rows });
  }
}

function parityOf(T: Training, model: LayersModel, rows: KuaiRandRows, onnxPreds: Float32Array[]): number {
  const n = Math.min(2000, rows.validRows);
  const w = rows.layout.width;
  const ref = T.predictArrays(model, rows.x.subarray(rows.trainRows * w, (rows.trainRows + n) * w), w);
  let max = 0;
  for (let h = 0; h < NUM_HEADS; h++) for (let k = 0; k < n; k++) max = Math.max(max, Math.abs(ref[h]![k]! - onnxPreds[h]![k]!));
  return max;
}

/** Reads a version's ONNX files and card. */
export function readRankerVersion(modelsDir: string, version: string): { card: ModelCard; ranker: Uint8Array; mid: Uint8Array; tfjs: { json: string; weights: Uint8Array } } {
  const card = readModelCard(modelsDir, "ranker", version);
  const dir = versionDir(modelsDir, "ranker", version);
  return {
    card,
    ranker: readFileSync(join(dir, "ranker.onnx")),
    mid: readFileSync(join(dir, "interest-mid.onnx")),
    tfjs: { json: readFileSync(join(dir, "ranker.tfjs.json"), "utf8"), weights: readFileSync(join(dir, "ranker.weights.bin")) },
  };
}

