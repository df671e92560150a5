import type { Logger } from "pino";
import { errorMessage, ModelError } from "../../protocols/index.ts";
import type { InferenceSession, SessionFactory } from "../inference/inference-session.ts";
import { ModelService, type BatchInfo } from "../inference/model-service.ts";
import { HEADS } from "../ranking/heads.ts";
import { feedFeatureWidth, writeFeedFeatures } from "./feed-features.ts";
import type { ObjectivePredictions, RankContext, Ranker, RankRow } from "./ranker.ts";

export interface OnnxFeedRankerOptions {
  /** Content-vector dimensions of the catalog (the model's input is `feedFeatureWidth(dims)` wide). */
  dims: number;
  /** Opens ONNX bytes as a session (`openOnnxSession`; a function session in tests). */
  openSession: SessionFactory;
  /** The watch-ratio head predicts min(watch_ratio, cap) / cap. */
  watchRatioCap: number;
  /** Batching across sessions (defaults: 4096 rows a batch, 1M rows queued). */
  maxBatchRows?: number;
  maxQueueRows?: number;
  log?: Logger;
  onBatch?: (b: BatchInfo) => void;
}

const SERVED_HEADS = ["watch_ratio", "complete", "rewatch", "continue", "skip_fast"] as const;

/**
 * The trained multi-task ranker in the feed: one feature row per candidate (feed-features.ts), one
 * `ModelService` call per request, batched with every other session that asks in the same tick.
 *
 * **Hot swap (stable API, used by coord/model-sync):** `swap(onnxBytes, version)` opens the new model,
 * checks it (input `features` of this ranker's width, the five served heads, one probe row), then makes it
 * serve every batch that starts from then on. Batches already running finish on the old model, which is
 * released once they have; no request fails or waits because of a swap. If the new model does not open or
 * fails the check, `swap` rejects and the old model keeps serving. Swaps are applied in call order.
 * `version` is the version that scored the most recent request (the pipeline stamps it on feed items).
 */
export class OnnxFeedRanker implements Ranker {
  private readonly service: ModelService;
  readonly width: number;
  private served: string | undefined;
  private swapChain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private ready: Promise<void> | undefined;

  constructor(private readonly o: OnnxFeedRankerOptions) {
    this.width = feedFeatureWidth(o.dims);
    this.service = new ModelService("feed-ranker", {
      maxBatchRows: o.maxBatchRows ?? 4096,
      maxQueueRows: o.maxQueueRows ?? 1 << 20,
      // two: a request that arrives during a swap runs on the new model while the old one's batch finishes
      maxConcurrentRuns: 2,
      log: o.log,
      onBatch: o.onBatch,
    });
  }

  /** A ranker serving `model` (resolves once it is loaded). */
  static async open(model: Uint8Array, version: string, o: OnnxFeedRankerOptions): Promise<OnnxFeedRanker> {
    const r = new OnnxFeedRanker(o);
    await r.swap(model, version);
    return r;
  }

  /**
   * A ranker whose first model is still loading: requests wait for it (they queue in the ModelService);
   * if it fails to load they fail with its error. For synchronous construction (the feed node).
   */
  static loading(model: Uint8Array, version: string, o: OnnxFeedRankerOptions): OnnxFeedRanker {
    const r = new OnnxFeedRanker(o);
    r.ready = r.swap(model, version).catch((e: unknown) => {
      r.failure = e;
      o.log?.error({ version, err: errorMessage(e) }, "feed ranker model failed to load");
    });
    return r;
  }

  get version(): string {
    return this.served ?? this.service.version ?? "loading";
  }

  /** The version new requests are scored with (undefined before the first load). */
  get currentVersion(): string | undefined {
    return this.service.version;
  }

  get stats(): { batches: number; requests: number; rows: number } {
    return this.service.stats;
  }

  /** Hot swap: see the class comment. Resolves once `version` serves new batches. */
  swap(model: Uint8Array, version: string): Promise<void> {
    const next = this.swapChain.then(() => this.doSwap(model, version));
    this.swapChain = next.catch(() => undefined);
    return next;
  }

  private async doSwap(model: Uint8Array, version: string): Promise<void> {
    const session = await this.o.openSession(model, { intraOpThreads: 1 });
    try {
      await this.check(session, version);
    } catch (e) {
      await session.release().catch(() => undefined);
      throw e;
    }
    await this.service.load(version, session);
    this.failure = undefined;
  }

  private async check(session: InferenceSession, version: string): Promise<void> {
    if (!session.inputNames.includes("features")) throw new ModelError("feed-ranker", "swap", `${version}: no input named features (has ${session.inputNames.join(", ")})`);
    for (const h of SERVED_HEADS) {
      if (!session.outputNames.includes(h)) throw new ModelError("feed-ranker", "swap", `${version}: no output named ${h}`);
    }
    let out;
    try {
      out = await session.run({ features: { data: new Float32Array(this.width), dims: [1, this.width] } });
    } catch (e) {
      throw new ModelError("feed-ranker", "swap", `${version}: a probe row of width ${this.width} fails: ${errorMessage(e)}`, e);
    }
    for (const h of SERVED_HEADS) {
      const t = out[h];
      if (t === undefined || t.data.length !== 1 || !Number.isFinite(Number(t.data[0]))) throw new ModelError("feed-ranker", "swap", `${version}: output ${h} is not one finite value per row`);
    }
  }

  async predict(rows: readonly RankRow[], ctx: RankContext): Promise<ObjectivePredictions[]> {
    if (rows.length === 0) return [];
    if (this.ready !== undefined) await this.ready;
    if (this.failure !== undefined && this.service.version === undefined) throw this.failure;
    const n = rows.length;
    // a fresh buffer per request: the ModelService may hold it in a queued batch
    const x = new Float32Array(n * this.width);
    writeFeedFeatures(x, rows, ctx, this.o.dims);
    const { outputs, version } = await this.service.infer({ features: { data: x, dims: [n, this.width] } });
    const h = SERVED_HEADS.map((name) => {
      const t = outputs[name];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new ModelError("feed-ranker", "run", `${version}: output ${name} missing`);
      return t.data;
    });
    this.served = version;
    const cap = this.o.watchRatioCap;
    const preds: ObjectivePredictions[] = new Array(n);
    for (let i = 0; i < n; i++) {
      preds[i] = { watchRatio: h[0]![i]! * cap, complete: h[1]![i]!, rewatch: h[2]![i]!, continue: h[3]![i]!, skipFast: h[4]![i]! };
    }
    return preds;
  }

  /** Finishes queued work and releases the model. */
  async close(): Promise<void> {
    await this.swapChain;
    await this.service.close();
  }
}

/** The heads a feed-ranker model is trained with (the ranking module's, long_view included). */
export const FEED_RANKER_HEADS = HEADS;
