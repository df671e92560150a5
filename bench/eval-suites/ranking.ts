import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { evaluateMicroLens, HnswIndex, loadTraining, openOnnxSession, trainRanker, type RankingMetrics } from "../../models/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { round, type Emit } from "../row.ts";

/**
 * `npm run --silent eval -- ranking`: the multi-task ranker on the KuaiRand time split (train up to
 * ranking.trainEnd, validate on the days after it up to ranking.validEnd) side by side with the popularity
 * and logistic-regression baselines trained/evaluated in the same run; then MicroLens-50K leave-one-out
 * retrieval + ranking. Each row's `baseline` is logistic regression (MicroLens: popularity), `ratio` is
 * model / baseline (baseline / model for MAE, lower is better); `config.popularity` holds the other one.
 * Env: FYP_PROFILE picks the dims; EVAL_MICROLENS_USERS (default 10000) the sampled MicroLens users.
 */
const REPO = fileURLToPath(new URL("../..", import.meta.url));

export async function run(emit: Emit): Promise<void> {
  const config = loadConfig({});
  const dsRoot = isAbsolute(config.datasets.dir) ? config.datasets.dir : join(REPO, config.datasets.dir);
  const t0 = performance.now();
  let lastPhase = "";
  const onProgress = (p: { phase: string; done: number; total: number }) => {
    if (p.phase !== lastPhase) {
      lastPhase = p.phase;
      process.stderr.write(`eval ranking: ${((performance.now() - t0) / 1000).toFixed(0)} s ${p.phase}\n`);
    }
  };
  const d = config.dims;
  const dims = { content: d.content, short: d.interestShort, mid: d.interestMid, long: d.interestLong };
  const r = await trainRanker({
    datasetDir: join(dsRoot, "kuairand"), rules: config.datasets.labels, dims, interest: config.interest, ranking: config.ranking,
    inference: config.inference, openSession: openOnnxSession, modelsDir: join(REPO, config.ranking.modelsDir), baselines: true, onProgress,
  });
  const lr = r.baselines.logreg!;
  const pop = r.baselines.popularity!;
  const common = { dataset: "kuairand", split: `train<=${config.ranking.trainEnd} valid<=${config.ranking.validEnd}`, trainRows: r.rows.trainRows, validRows: r.rows.validRows, version: r.version, dims };
  const row = (name: string, get: (m: RankingMetrics) => number, lowerIsBetter = false) => {
    const v = get(r.metrics);
    const b = get(lr);
    const p = get(pop);
    const ratio = lowerIsBetter ? b / v : v / b;
    emit({
      name, value: round(v, 4), unit: lowerIsBetter ? "ratio units (lower is better)" : "score", baseline: round(b, 4), ratio: round(ratio, 3),
      config: { ...common, baseline: "logreg", popularity: round(p, 4), ratioVsPopularity: round(lowerIsBetter ? p / v : v / p, 3) },
    });
  };
  row("ranking.auc.long_view", (m) => m.auc.long_view);
  row("ranking.auc.complete", (m) => m.auc.complete);
  row("ranking.auc.skip_fast", (m) => m.auc.skip_fast);
  row("ranking.auc.continue", (m) => m.auc.continue);
  row("ranking.auc.rewatch", (m) => m.auc.rewatch);
  row("ranking.watch_ratio.mae", (m) => m.watch_ratio_mae, true);
  row("ranking.xauc", (m) => m.xauc);
  row("ranking.ndcg@10", (m) => m.ndcg10);
  emit({ name: "ranking.onnx_parity.max_abs_diff", value: r.parity, unit: "abs", config: { version: r.version } });

  const T = await loadTraining();
  await T.initTf();
  const users = Number(process.env["EVAL_MICROLENS_USERS"] ?? 10_000);
  const h = config.retrieval.hnsw;
  const ml = await evaluateMicroLens({
    dir: join(dsRoot, "microlens"), dims, interest: config.interest, evalUsers: users, trainUsers: Math.min(10_000, users), candidates: 200,
    hidden: [64, 32], epochs: 3, seed: config.ranking.seed, onProgress,
    createIndex: (dim, capacity) => HnswIndex.create(dim, "cosine", { m: h.m, efConstruction: h.efConstruction, efSearch: h.efSearch, capacity }),
  }, T);
  const mlConfig = { dataset: "microlens-50k", protocol: "leave-one-out, history masked", users: ml.model.users, candidates: 200, candidateRecall: round(ml.recall, 4), trainExamples: ml.trainExamples, baseline: "popularity" };
  emit({ name: "ranking.microlens.hr@10", value: round(ml.model.hr10, 4), unit: "hit rate", baseline: round(ml.popularity.hr10, 4), ratio: round(ml.model.hr10 / ml.popularity.hr10, 2), config: { ...mlConfig, retrievalOnly: round(ml.retrievalOnly.hr10, 4), published100k: { SASRec: 0.0909, GRU4Rec: 0.0782 } } });
  emit({ name: "ranking.microlens.ndcg@10", value: round(ml.model.ndcg10, 4), unit: "ndcg", baseline: round(ml.popularity.ndcg10, 4), ratio: round(ml.model.ndcg10 / ml.popularity.ndcg10, 2), config: { ...mlConfig, retrievalOnly: round(ml.retrievalOnly.ndcg10, 4), published100k: { SASRec: 0.0517, GRU4Rec: 0.0423 } } });
  process.stderr.write(`eval ranking: done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}
