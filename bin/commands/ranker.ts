import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { InvalidArgumentError } from "../../protocols/index.ts";
import {
  buildKuaiRandRows, fillMidTerm, latestVersion, loadTraining, MidTermEncoder, ModelService, openOnnxSession, readRankerVersion,
  scoreThroughService, trainRanker, updateRanker, evaluateRanking, type TrainProgress,
} from "../../models/index.ts";
import { createProgress, type Progress } from "../../loadtest/index.ts";
import { feedRankerOptions, runTrainFeedRanker } from "./feed-ranker.ts";
import type { Config } from "../../configs/index.ts";
import type { Command, CommandContext } from "../cli.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

function kuairandDir(config: Readonly<Config>, given: unknown): string {
  if (typeof given === "string") return resolve(given);
  const base = isAbsolute(config.datasets.dir) ? config.datasets.dir : join(REPO_ROOT, config.datasets.dir);
  return join(base, "kuairand");
}

function dimsOf(config: Readonly<Config>) {
  const d = config.dims;
  return { content: d.content, short: d.interestShort, mid: d.interestMid, long: d.interestLong };
}

/** One bar per phase (a bar on a terminal, log lines otherwise). */
function phaseProgress(log: Logger, enabled: boolean, everyMs: number): (p: TrainProgress) => void {
  let phase = "";
  let bar: Progress | undefined;
  return (p) => {
    if (p.phase !== phase) {
      bar?.stop();
      phase = p.phase;
      bar = createProgress({ label: p.phase, total: Math.max(1, p.total), log, everyMs, enabled });
    }
    bar?.update(p.done, p.info);
  };
}

export const rankerOptions = {
  dataset: { type: "string" },
  version: { type: "string" },
  "no-baselines": { type: "boolean" },
  incremental: { type: "boolean" },
  "users-modulo": { type: "string" },
  ...feedRankerOptions,
} as const;

/**
 * `fyp train ranker`: trains the mid-term GRU and the multi-task ranker on the KuaiRand time split, exports
 * both to ONNX and writes <ranking.modelsDir>/ranker/<version>/ with card.json; `--incremental` instead
 * resumes the latest (or --version) model on the validation days as a stream of recent events.
 */
export async function runTrainRanker(ctx: CommandContext): Promise<number> {
  const config = ctx.config();
  const log = ctx.logger(config);
  const onProgress = phaseProgress(log, !ctx.values["no-progress"] && config.simulate.progress, config.simulate.progressEveryMs);
  if (ctx.values.world || ctx.values.events !== undefined) return runTrainFeedRanker(ctx, onProgress);
  const modelsDir = resolve(config.ranking.modelsDir);
  const modulo = ctx.values["users-modulo"] === undefined ? undefined : Number(ctx.values["users-modulo"]);
  if (modulo !== undefined && !(Number.isInteger(modulo) && modulo >= 1)) throw new InvalidArgumentError("--users-modulo", "must be an integer >= 1", ctx.values["users-modulo"]);
  if (ctx.values.incremental) return incremental(ctx, config, modelsDir, onProgress, modulo);
  const r = await trainRanker({
    datasetDir: kuairandDir(config, ctx.values.dataset), rules: config.datasets.labels, dims: dimsOf(config), interest: config.interest,
    ranking: config.ranking, inference: config.inference, openSession: openOnnxSession, modelsDir, baselines: !ctx.values["no-baselines"],
    onProgress, log, ...(modulo === undefined ? {} : { userModulo: modulo }),
  });
  ctx.out(JSON.stringify({ dir: r.dir, ...r.card }));
  return r.parity <= 1e-4 ? 0 : 1;
}

async function incremental(ctx: CommandContext, config: Readonly<Config>, modelsDir: string, onProgress: (p: TrainProgress) => void, modulo: number | undefined): Promise<number> {
  const parentVersion = typeof ctx.values.version === "string" ? ctx.values.version : latestVersion(modelsDir, "ranker");
  const parent = readRankerVersion(modelsDir, parentVersion);
  const rows = await rowsFor(ctx, config, parent.mid, onProgress, modulo);
  const T = await loadTraining();
  await T.initTf();
  // the validation days as the stream: the first two thirds are the recent window, the rest the holdout
  const w = rows.layout.width;
  const cut = rows.trainRows + Math.floor((rows.validRows * 2) / 3);
  const slice = (from: number, to: number) => ({ x: rows.x.subarray(from * w, to * w), y: rows.y.map((y) => y.subarray(from, to)), rows: to - from });
  const r = await updateRanker(T, {
    parent, window: slice(rows.trainRows, cut), holdout: slice(cut, rows.rows), width: w, epochs: config.ranking.incrementalEpochs,
    batchSize: config.ranking.batchSize, learningRate: config.ranking.learningRate / 2, seed: config.ranking.seed, watchRatioCap: config.ranking.watchRatioCap,
    inference: config.inference, openSession: openOnnxSession, modelsDir, onProgress,
  });
  ctx.out(JSON.stringify({ dir: r.dir, ...r.card }));
  return 0;
}

async function rowsFor(ctx: CommandContext, config: Readonly<Config>, midOnnx: Uint8Array, onProgress: (p: TrainProgress) => void, modulo: number | undefined) {
  const rows = await buildKuaiRandRows({
    dir: kuairandDir(config, ctx.values.dataset), rules: config.datasets.labels, dims: dimsOf(config), interest: config.interest,
    watchRatioCap: config.ranking.watchRatioCap, trainEnd: config.ranking.trainEnd, validEnd: config.ranking.validEnd, onProgress,
    ...(modulo === undefined ? {} : { userModulo: modulo }),
  });
  const svc = new ModelService("interest_mid", { maxBatchRows: config.inference.maxBatchRows, maxQueueRows: 1 << 22, maxConcurrentRuns: config.inference.maxConcurrentRuns });
  await svc.load("mid", await openOnnxSession(midOnnx, { intraOpThreads: config.inference.intraOpThreads }));
  await fillMidTerm(rows, new MidTermEncoder(svc, rows.seqLen, config.dims.content, config.dims.interestMid), onProgress);
  await svc.close();
  return rows;
}

/** `fyp eval ranker [--version V]`: re-scores the validation days with a saved version through ModelService. */
export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate a trained model: `ranker` (KuaiRand validation days, served ONNX; prints the metrics as JSON)",
  usage: `fyp eval ranker [--version V] [--dataset DIR] [--users-modulo N] [--no-progress]
  Loads <ranking.modelsDir>/ranker/<V or LATEST>/, rebuilds the KuaiRand rows (same split and features as
  training), scores the validation days through ModelService/onnxruntime and prints the metrics next to the
  ones in the model card. For the side-by-side table with baselines run: npm run --silent eval -- ranking`,
  options: { ...rankerOptions, "no-progress": { type: "boolean" } },
  async run(ctx) {
    const [what] = ctx.positionals;
    if (what !== "ranker") throw new InvalidArgumentError("model", "must be ranker", what);
    const config = ctx.config();
    const log = ctx.logger(config);
    const onProgress = phaseProgress(log, !ctx.values["no-progress"] && config.simulate.progress, config.simulate.progressEveryMs);
    const modelsDir = resolve(config.ranking.modelsDir);
    const version = typeof ctx.values.version === "string" ? ctx.values.version : latestVersion(modelsDir, "ranker");
    const saved = readRankerVersion(modelsDir, version);
    const modulo = ctx.values["users-modulo"] === undefined ? undefined : Number(ctx.values["users-modulo"]);
    const rows = await rowsFor(ctx, config, saved.mid, onProgress, modulo);
    const svc = new ModelService("ranker", { maxBatchRows: config.inference.maxBatchRows, maxQueueRows: 1 << 22, maxConcurrentRuns: config.inference.maxConcurrentRuns });
    await svc.load(version, await openOnnxSession(saved.ranker, { intraOpThreads: config.inference.intraOpThreads }));
    const preds = await scoreThroughService(svc, rows.x, rows.layout.width, rows.trainRows, rows.validRows);
    await svc.close();
    const metrics = evaluateRanking(rows, preds, config.ranking.weights, config.ranking.watchRatioCap);
    ctx.out(JSON.stringify({ version, metrics, card: saved.card.metrics }));
    return 0;
  },
};
