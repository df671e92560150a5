import { resolve } from "node:path";
import type { Logger } from "pino";
import { InvalidArgumentError } from "../../protocols/index.ts";
import {
  createFeedRanker, FEED_RANKER_NAME, FeedLogRecorder, loadFeedLog, loadTraining, openOnnxSession, readFeedRanker, saveFeedLog,
  trainFeedRanker, type FeedLogData, type FeedRankerParent, type TrainProgress,
} from "../../models/index.ts";
import { runSimulation, type SimulationSummary } from "../../loadtest/index.ts";
import type { Config } from "../../configs/index.ts";
import type { CommandContext } from "../cli.ts";

export const feedRankerOptions = {
  world: { type: "boolean" },
  from: { type: "string" },
  events: { type: "string" },
  "save-log": { type: "string" },
  sessions: { type: "string" },
  seed: { type: "string" },
} as const;

/** Logging defaults of the simulated world's outcomes (the viewer model skips fast: under 3 s of an unfinished video). */
const LOG = { skipFastMs: 3000, completeRatio: 0.9, maxRows: 2_000_000 };

/**
 * Runs the simulated world (config `simulate`, the ranker `feed.ranker` names) and logs every served item's
 * features and outcome. The run is the same as `fyp simulate` with that config (the recorder only watches).
 */
export async function collectWorldLog(config: Readonly<Config>, log: Logger): Promise<{ data: FeedLogData; summary: SimulationSummary }> {
  const rec = new FeedLogRecorder({ dims: config.dims.content, watchRatioCap: config.ranking.watchRatioCap, ...LOG });
  const base = createFeedRanker(config.feed.ranker, { dims: config.dims.content, log });
  const ranker = rec.wrap(base);
  const { summary } = await runSimulation(config, log, { observer: rec, ranker: () => ranker });
  if ("close" in base && typeof base.close === "function") await (base.close as () => Promise<void>)();
  if (rec.unmatched > 0) log.warn({ unmatched: rec.unmatched }, "viewer events without logged features");
  return { data: rec.data(), summary };
}

/**
 * `fyp train ranker --world`: trains the feed ranker on the simulated world's own logs.
 *   --world                      simulate (--sessions, --seed) with the configured ranker, log, train a new model
 *   --world --incremental        resume --from (a feed ranker; default <modelsDir>/feed-ranker LATEST) on new
 *                                events: --events FILE (a saved log) or a fresh simulate served by that model
 *   --save-log FILE              also write the logged rows (input for a later --events)
 *   --out DIR                    models folder (default ranking.modelsDir): writes DIR/feed-ranker/<version>/
 */
export async function runTrainFeedRanker(ctx: CommandContext, onProgress: (p: TrainProgress) => void): Promise<number> {
  const v = ctx.values;
  const overrides: Record<string, unknown> = {};
  if (v.sessions !== undefined) overrides["simulate.sessions"] = v.sessions;
  if (v.seed !== undefined) overrides["simulate.seed"] = v.seed;
  if (v["no-progress"]) overrides["simulate.progress"] = false;
  const modelsDir = resolve(typeof v.out === "string" ? v.out : ctx.config().ranking.modelsDir);
  let parent: (FeedRankerParent & { dir: string }) | undefined;
  if (v.incremental) {
    const from = typeof v.from === "string" ? v.from : resolve(modelsDir, FEED_RANKER_NAME);
    const m = readFeedRanker(from);
    if (m.tfjs === undefined) throw new InvalidArgumentError("--from", "has no tfjs weights to resume (ranker.tfjs.json, ranker.weights.bin)", from);
    parent = { card: m.card, tfjs: m.tfjs, dir: m.dir };
    // fresh events are served by the model being updated
    if (typeof v.events !== "string") overrides["feed.ranker"] = m.dir;
  }
  const config = ctx.config(overrides);
  const log = ctx.logger(config);
  let data: FeedLogData;
  let source: Record<string, unknown>;
  if (typeof v.events === "string") {
    data = loadFeedLog(resolve(v.events));
    if (data.dims !== config.dims.content) throw new InvalidArgumentError("--events", `rows of ${data.dims}-dim content; this profile's dims.content is ${config.dims.content}`, v.events);
    source = { events: resolve(v.events) };
  } else {
    const { data: d, summary } = await collectWorldLog(config, log);
    data = d;
    source = { profile: v.profile ?? "default", seed: summary.seed, sessions: summary.sessions, videos: summary.videos, servedBy: config.feed.ranker, sim: { watchTimePerSessionS: summary.watchTimePerSessionS, completionRate: summary.completionRate, skipRate: summary.skipRate, checksum: summary.checksum } };
    log.info({ rows: d.rows, sessions: summary.sessions }, "feed log collected");
  }
  if (typeof v["save-log"] === "string") saveFeedLog(resolve(v["save-log"]), data);
  const T = await loadTraining();
  await T.initTf();
  const r = await trainFeedRanker(T, {
    data, holdoutShare: 0.2, parent, hidden: config.ranking.hidden, tower: config.ranking.tower,
    epochs: parent !== undefined ? config.ranking.incrementalEpochs : config.ranking.epochs, batchSize: Math.min(config.ranking.batchSize, 256),
    learningRate: parent !== undefined ? config.ranking.learningRate / 2 : config.ranking.learningRate, seed: config.ranking.seed,
    openSession: openOnnxSession, modelsDir, source, onProgress,
  });
  ctx.out(JSON.stringify({ dir: r.dir, ...r.card }));
  return 0;
}
