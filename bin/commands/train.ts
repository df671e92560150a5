import { resolve } from "node:path";
import { InvalidArgumentError } from "../../protocols/index.ts";
import { loadTraining, openOnnxSession, writeContentModel } from "../../models/index.ts";
import { createProgress } from "../../loadtest/index.ts";
import type { Command } from "../cli.ts";
import { catalogDir, contentSettings, openCatalog } from "./content-catalogs.ts";
import { rankerOptions, runTrainRanker } from "./ranker.ts";

function versionNow(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export const trainCommand: Command = {
  name: "train",
  summary: "train a model: `content` (the default content model: text + metadata towers, engagement objective) or `ranker`",
  usage: `fyp train content [--steps N] [--catalog PATH] [--out DIR] [--no-progress]
  Trains on the datasets in embeddings.content.datasets (their imported catalogs, else their folders under
  datasets.dir), exports content.onnx (text_ids, meta_ids, mask -> content) and text.onnx (text_ids -> text_vec),
  checks tfjs/ONNX parity, and writes <embeddings.content.modelsDir>/<version>/ with card.json and latest.json.
  Never trains on KuaiRand after embeddings.content.trainEnd or on each MicroLens user's last item (the
  retrieval eval's test data). Prints the model card as one JSON line.
fyp train ranker [--no-baselines] [--incremental [--version V]] [--dataset DIR] [--users-modulo N] [--no-progress]
  Trains the mid-term interest GRU and the multi-task ranker on the KuaiRand time split (ranking.trainEnd /
  ranking.validEnd), exports both to ONNX and writes <ranking.modelsDir>/ranker/<version>/ (ranker.onnx,
  interest-mid.onnx, tfjs weights, card.json). --incremental resumes the latest (or V) on the validation days
  as a stream of recent events and writes a child version whose card names its parent.
fyp train ranker --world [--sessions N] [--seed S] [--save-log FILE] [--out DIR]
fyp train ranker --world --incremental [--from MODEL] [--events FILE] [--out DIR]
  The feed ranker (config feed.ranker): runs the simulated world (profile's dims and simulate section) with
  the configured ranker, logs every served item's features and outcome (watch ratio, complete, rewatch,
  continue, skip_fast), trains the multi-task network on them, exports ONNX and writes
  <DIR or ranking.modelsDir>/feed-ranker/<version>/ (ranker.onnx, tfjs weights, card.json with the holdout
  metrics next to the hand-set prior's). --incremental resumes MODEL (default: that folder's LATEST) on new
  events: a saved log (--events, from --save-log) or a fresh simulate served by MODEL; the card names the
  parent and carries its metrics on the same holdout. Serve it: --set feed.ranker=<version folder>.`,
  options: {
    steps: { type: "string" },
    catalog: { type: "string" },
    out: { type: "string" },
    "no-progress": { type: "boolean" },
    ...rankerOptions,
  },
  async run(ctx) {
    const [what] = ctx.positionals;
    if (what === "ranker") return runTrainRanker(ctx);
    if (what !== "content") throw new InvalidArgumentError("model", "must be content or ranker", what);
    const overrides: Record<string, unknown> = {};
    if (ctx.values.steps !== undefined) overrides["embeddings.content.steps"] = ctx.values.steps;
    const config = ctx.config(overrides);
    const log = ctx.logger(config);
    const enabled = !ctx.values["no-progress"] && config.simulate.progress;
    const path = catalogDir(config, ctx.values.catalog);
    const catalogs = [];
    for (const name of config.embeddings.content.datasets) catalogs.push(await openCatalog(config, name, path, log));
    const T = await loadTraining();
    const settings = contentSettings(config, T.dayEndMsUtc8);
    const bar = createProgress({ label: "train content", total: settings.train.steps, log, everyMs: config.simulate.progressEveryMs, enabled });
    const version = versionNow();
    try {
      const trained = await T.trainContent(catalogs, settings, openOnnxSession, version, (p) => {
        if (p.phase === "train") bar.update(p.step, { loss: p.loss.toFixed(3), group: p.group });
        else if (p.phase === "corpus") log.info({ items: p.items, pairs: p.groups }, "content corpus");
        else if (p.phase === "parity") log.info({ maxAbsDiff: p.maxAbsDiff }, "tfjs/onnx parity");
      });
      bar.stop();
      const dir = typeof ctx.values.out === "string" ? resolve(ctx.values.out) : resolve(config.embeddings.content.modelsDir);
      const at = writeContentModel(dir, trained.card, trained);
      ctx.out(JSON.stringify({ dir: at, ...trained.card }));
      return trained.card["parity"] !== undefined && (trained.card["parity"] as { maxAbsDiff: number }).maxAbsDiff <= 1e-4 ? 0 : 1;
    } finally {
      for (const c of catalogs) await c.close();
    }
  },
};
