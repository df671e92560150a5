import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../../protocols/index.ts";
import {
  FEED_RANKER_NAME, FeedLogRecorder, loadTraining, readFeedRanker, trainFeedRanker,
  type FeedLogData, type FeedLogOptions, type FeedRanker, type FeedRankerParent, type SessionFactory,
} from "../../models/index.ts";
import { videoNumber } from "../../actors/index.ts";
import type { ModelTrainer } from "./model-sync.ts";

export interface NodeFeedLogOptions extends FeedLogOptions {
  /** A user with no feed request or event for this long is dropped (its unanswered candidates with it), ms. */
  idleTimeoutMs: number;
  /** Video duration by catalog id (skips carry no duration). */
  durationOf: (videoId: number) => number | undefined;
}

/**
 * A serving node's training log: the simulator's FeedLogRecorder fed from the node's actor trace. The
 * ranker the node serves with is wrapped (`wrap`) so each feed request's candidate features are kept; the
 * outcomes the node receives for that (user, video) through ReportEvents (session.watch / session.skip /
 * session.rewatch on the user's session actor, which lives on this node) make the rows, with `continue` set
 * when the same user is served another item afterwards. Bounded by `maxRows`; users idle for `idleTimeoutMs`
 * are dropped with their unanswered candidates. `take()` hands the rows to a training round and starts over.
 */
export class NodeFeedLog {
  private rec: FeedLogRecorder;
  private readonly users = new Map<string, number>();
  private readonly lastSeen = new Map<number, number>();
  private calls = 0;

  constructor(private readonly o: NodeFeedLogOptions) {
    this.rec = new FeedLogRecorder(o);
  }

  /** Rows buffered for the next round. */
  get rows(): number {
    return this.rec.logged;
  }

  /** Outcomes that matched no recorded candidate (e.g. after a restart or a timeout). */
  get unmatched(): number {
    return this.rec.unmatched;
  }

  /** The node's ranker factory, recording the features of what it scores. */
  wrap(inner: () => FeedRanker): () => FeedRanker {
    return () => {
      const r = inner();
      return { get version() { return r.version; }, predict: (rows, ctx) => this.rec.wrap(r).predict(rows, ctx) };
    };
  }

  /** The node's actor trace hook (createFeedNode's `trace`). */
  readonly trace = (at: number, id: string, msg: { type: string }): void => {
    if (!id.startsWith("session/")) return;
    const t = msg.type;
    if (t !== "feed.request" && t !== "session.watch" && t !== "session.skip" && t !== "session.rewatch") return;
    const user = this.userNum(id.slice(8));
    this.lastSeen.set(user, at);
    if (t === "feed.request") {
      if (++this.calls % 256 === 0) this.sweep(at);
      this.rec.trace(at, `session/u${user}`, msg);
      return;
    }
    const m = msg as { type: string; videoId: string; watchMs?: number; durationMs?: number };
    const video = videoNumber(m.videoId);
    if (!Number.isInteger(video)) return;
    if (t === "session.rewatch") {
      this.rec.rewatch(user, video);
      return;
    }
    const duration = m.durationMs ?? this.o.durationOf(video);
    if (duration === undefined || !(duration > 0)) return;
    const watchMs = m.watchMs ?? 0;
    this.rec.item(user, video, 0, watchMs, watchMs / duration, t === "session.skip", false, false);
  };

  /** A copy of the buffered rows (the log keeps them). */
  peek(): FeedLogData {
    return this.rec.data();
  }

  /** The buffered rows; the log starts over. */
  take(): FeedLogData {
    const d = this.rec.data();
    this.rec = new FeedLogRecorder(this.o);
    this.users.clear();
    this.lastSeen.clear();
    return d;
  }

  private userNum(key: string): number {
    let n = this.users.get(key);
    if (n === undefined) {
      n = this.users.size;
      this.users.set(key, n);
    }
    return n;
  }

  private sweep(now: number): void {
    for (const [user, at] of this.lastSeen) {
      if (now - at <= this.o.idleTimeoutMs) continue;
      this.rec.session(user);
      this.lastSeen.delete(user);
    }
  }
}

export interface IncrementalFeedTrainerOptions {
  log: NodeFeedLog;
  /** A round trains only with at least this many rows buffered (else `fallback`). */
  minRows: number;
  /** The shipped model (with its tfjs weights): the parent when the served version's weights are not known here. */
  base: { card: FeedRankerParent["card"]; tfjs: FeedRankerParent["tfjs"] | undefined };
  /** Versions are written here (`<modelsDir>/feed-ranker/<version>/`); a served version found there can be a parent. */
  modelsDir: string | undefined;
  fit: { holdoutShare: number; epochs: number; batchSize: number; learningRate: number; seed: number };
  openSession: SessionFactory;
  /** Too few rows: what the round does instead (publish LATEST, modelsDirTrainer). */
  fallback?: ModelTrainer;
  logger: Logger;
  nodeId: string;
}

/**
 * The in-process incremental trainer of coord/model-sync: at a round with enough rows buffered on this
 * node, the served version (the round's parent) goes on learning from them (trainFeedRanker with the
 * parent's weights); the child version is written with its card naming the parent and returned to be
 * published through the model store, which makes every node hot-swap to it. The parent's weights come from
 * the versions this trainer made, `<modelsDir>/feed-ranker/<parent>/`, or the shipped model (`base`).
 * Training runs on the node's event loop (small incremental rounds: one epoch over at most maxRows rows).
 */
export function incrementalFeedTrainer(o: IncrementalFeedTrainerOptions): ModelTrainer {
  const known = new Map<string, FeedRankerParent>();
  if (o.base.tfjs !== undefined) known.set(o.base.card.version, { card: o.base.card, tfjs: o.base.tfjs });
  const log = o.logger.child({ module: "feed-trainer" });
  const parentOf = (version: string | null): FeedRankerParent | undefined => {
    if (version === null) return undefined;
    const k = known.get(version);
    if (k !== undefined || o.modelsDir === undefined) return k;
    const dir = join(o.modelsDir, FEED_RANKER_NAME, version);
    if (!existsSync(join(dir, "card.json"))) return undefined;
    try {
      const f = readFeedRanker(dir);
      return f.tfjs === undefined ? undefined : { card: f.card, tfjs: f.tfjs };
    } catch (e) {
      log.warn({ version, err: errorMessage(e) }, "served version not readable as a parent");
      return undefined;
    }
  };
  return async (req) => {
    const rows = o.log.rows;
    if (rows < o.minRows) {
      log.info({ rows, minRows: o.minRows }, "too few rows for a training round");
      return o.fallback !== undefined ? o.fallback(req) : null;
    }
    let parent = parentOf(req.parent);
    if (parent === undefined) {
      if (o.base.tfjs === undefined) throw new Error(`no weights to train from: served version ${req.parent ?? "none"} unknown here, and the shipped model has no tfjs weights`);
      log.warn({ served: req.parent, base: o.base.card.version }, "served version's weights unknown here; training from the shipped model");
      parent = { card: o.base.card, tfjs: o.base.tfjs };
    }
    const data = o.log.take();
    const T = await loadTraining();
    await T.initTf();
    const r = await trainFeedRanker(T, {
      data, holdoutShare: o.fit.holdoutShare, parent, hidden: [], tower: 0, epochs: o.fit.epochs, batchSize: o.fit.batchSize,
      learningRate: o.fit.learningRate, seed: o.fit.seed, openSession: o.openSession, modelsDir: o.modelsDir,
      source: { kind: "serving node log", node: o.nodeId, round: req.kind },
    });
    const art = r.dir !== undefined ? readFeedRanker(r.dir).tfjs : undefined;
    if (art !== undefined) known.set(r.version, { card: r.card, tfjs: art });
    log.info({ version: r.version, parent: r.card.parent, rows: data.rows }, "incremental round trained");
    const metrics: Record<string, number> = { rows: data.rows };
    metrics["holdout.watch_ratio_mae"] = r.holdout.watch_ratio_mae;
    for (const [k, v] of Object.entries(r.holdout.auc)) metrics[`holdout.auc.${k}`] = v;
    return { version: r.version, bytes: r.onnx, metrics };
  };
}
