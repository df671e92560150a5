import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../../protocols/index.ts";
import { OnnxFeedRanker, PriorRanker, openOnnxSession, type FeedRanker, type OnnxFeedRankerOptions } from "../../models/index.ts";
import { EventStream, type ActorSystem } from "../../actors/index.ts";
import type { JetStreamModelStore, ModelVersionInfo } from "../durability/model-store.ts";

/** What a node hot-swaps when a new version arrives (OnnxFeedRanker.swap's contract). */
export interface ModelSwapTarget {
  swap(model: Uint8Array, version: string): Promise<void>;
}

/**
 * The feed node's ranker under model sync: the prior until the first version arrives, then an
 * OnnxFeedRanker that every later version hot-swaps (in-flight batches finish on the old session).
 * `ranker` is the pipeline's factory: it is called once per feed request.
 */
export class SyncedFeedRanker implements ModelSwapTarget {
  private onnx: OnnxFeedRanker | undefined;
  private opening: Promise<void> | undefined;
  private readonly prior = new PriorRanker();

  constructor(private readonly o: Omit<OnnxFeedRankerOptions, "openSession"> & { openSession?: OnnxFeedRankerOptions["openSession"] }) {}

  readonly ranker = (): FeedRanker => this.onnx ?? this.prior;

  /** The version new requests are scored with ("prior-v1" before any model). */
  get version(): string {
    return this.onnx?.currentVersion ?? this.prior.version;
  }

  async swap(model: Uint8Array, version: string): Promise<void> {
    if (this.opening !== undefined) await this.opening.catch(() => undefined);
    if (this.onnx !== undefined) return this.onnx.swap(model, version);
    const opening = OnnxFeedRanker.open(model, version, { ...this.o, openSession: this.o.openSession ?? openOnnxSession }).then((r) => {
      this.onnx = r;
    });
    this.opening = opening;
    return opening;
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    await this.onnx?.close();
  }
}

export type ModelSyncEvent =
  | { type: "swapped"; version: string; ms: number }
  | { type: "swap-failed"; version: string; error: string };

/**
 * A node's side of coord/model-sync: watches the model's current version in the cluster's model store and
 * hot-swaps the target to it (fetch, open, check, swap). Versions arriving while one is being applied
 * collapse to the newest. A version that fails to open or to pass the target's check is logged and skipped
 * (the old one keeps serving).
 */
export class ModelSyncAgent {
  readonly events = new EventStream<ModelSyncEvent>();
  private applied: string | undefined;
  private wanted: ModelVersionInfo | undefined;
  private busy = false;
  private stopped = false;
  /** Failed attempts at the wanted version (retried with backoff: a fetch may time out under load). */
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private watcher: { stop(): void } | undefined;
  private readonly log: Logger;

  constructor(private readonly o: { store: JetStreamModelStore; model: string; target: ModelSwapTarget; log: Logger; onSwapped?: (version: string) => void }) {
    this.log = o.log.child({ module: "model-sync", model: o.model });
  }

  /** The version this node serves (undefined before the first one). */
  get version(): string | undefined {
    return this.applied;
  }

  async start(): Promise<void> {
    this.watcher = await this.o.store.watch(this.o.model, (v) => {
      this.wanted = v;
      void this.apply();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.watcher?.stop();
  }

  private async apply(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.wanted !== undefined && this.wanted.version !== this.applied) {
        const v = this.wanted;
        const t0 = performance.now();
        try {
          const bytes = await this.o.store.fetch(v.model, v.version);
          await this.o.target.swap(bytes, v.version);
          this.applied = v.version;
          this.failures = 0;
          const ms = performance.now() - t0;
          this.log.info({ version: v.version, kind: v.kind, bytes: bytes.length, ms: Math.round(ms) }, "model swapped");
          this.o.onSwapped?.(v.version);
          if (this.events.active) this.events.emit({ type: "swapped", version: v.version, ms });
        } catch (e) {
          this.failures++;
          const retryMs = Math.min(10_000, 250 * 2 ** Math.min(this.failures, 6));
          this.log.error({ version: v.version, err: errorMessage(e), attempt: this.failures, retryMs }, "model version not applied; the previous one keeps serving, retrying");
          if (this.events.active) this.events.emit({ type: "swap-failed", version: v.version, error: errorMessage(e) });
          if (this.wanted === v) {
            if (!this.stopped) {
              this.retryTimer = setTimeout(() => void this.apply(), retryMs);
              this.retryTimer.unref?.();
            }
            break;
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

/** What a scheduled round produces: a new version's ONNX bytes, or null when there is nothing new. */
export type ModelTrainer = (req: { kind: "sparse" | "dense"; parent: string | null }) => Promise<{ version: string; bytes: Uint8Array; metrics: Record<string, number> } | null>;

/**
 * A trainer that takes the newest version written by the training jobs (`fyp train …`, incremental runs)
 * to `<modelsDir>/<model>/LATEST` with its `ranker.onnx`: a round publishes it when it differs from the
 * cluster's current one. The in-process incremental trainer plugs in the same way (ModelTrainer).
 */
export function modelsDirTrainer(modelsDir: string, model: string): ModelTrainer {
  return async ({ parent }) => {
    const latest = join(modelsDir, model, "LATEST");
    if (!existsSync(latest)) return null;
    const version = readFileSync(latest, "utf8").trim();
    if (version === "" || version === parent) return null;
    const bytes = new Uint8Array(readFileSync(join(modelsDir, model, version, "ranker.onnx")));
    let metrics: Record<string, number> = {};
    try {
      const card = JSON.parse(readFileSync(join(modelsDir, model, version, "card.json"), "utf8")) as { metrics?: Record<string, unknown> };
      metrics = Object.fromEntries(Object.entries(card.metrics ?? {}).filter((e): e is [string, number] => typeof e[1] === "number"));
    } catch {
      // a version without a card has no metrics
    }
    return { version, bytes, metrics };
  };
}

/** The coordinator's node service (`services.modelSync`, see actors/kinds/model-sync-coordinator.ts). */
export interface ModelSyncService {
  model: string;
  sparseIntervalMs: number;
  denseIntervalMs: number;
  /** Starts a round; its outcome comes back to coord/model-sync as `model.trained` / `model-sync.idle` / `model-sync.failed`. */
  train(kind: "sparse" | "dense", parent: string | null): void;
}

/**
 * The service behind coord/model-sync on a node: runs the trainer, stores a new version in the model store
 * (which makes every node swap to it) and reports back to the coordinator.
 */
export function modelSyncService(o: {
  /** The node's actor system (tells reach coord/model-sync wherever it lives). */
  system: () => ActorSystem;
  store: () => JetStreamModelStore | undefined;
  trainer: ModelTrainer;
  model: string;
  sparseIntervalMs: number;
  denseIntervalMs: number;
  nodeId: string;
  log: Logger;
}): ModelSyncService {
  const log = o.log.child({ module: "model-sync", model: o.model });
  const coord = "coord/model-sync";
  // One round at a time on this node: the coordinator presumes a round lost after one interval and starts
  // another, and a training round can outlast a short interval on a busy machine; two rounds training at once
  // would both start from the same parent (siblings, the first one's rows lost to the lineage).
  let busy = false;
  return {
    model: o.model,
    sparseIntervalMs: o.sparseIntervalMs,
    denseIntervalMs: o.denseIntervalMs,
    train(kind, parent) {
      if (busy) {
        log.info({ kind }, "model round skipped: the previous round is still training");
        o.system().tell(coord, { type: "model-sync.idle", kind });
        return;
      }
      busy = true;
      void (async () => {
        try {
          const store = o.store();
          if (store === undefined) throw new Error("no model store (not in a cluster yet)");
          // The store's current version is the parent (an operator may have pushed one the coordinator did not see).
          const current = (await store.current(o.model))?.version ?? parent;
          const out = await o.trainer({ kind, parent: current });
          if (out === null) {
            o.system().tell(coord, { type: "model-sync.idle", kind });
            return;
          }
          await store.publish({ model: o.model, version: out.version, parent: current, kind, by: o.nodeId, metrics: out.metrics }, out.bytes);
          log.info({ kind, version: out.version, parent: current }, "model version published");
          o.system().tell(coord, { type: "model.trained", model: o.model, version: out.version, metrics: out.metrics, kind });
        } catch (e) {
          log.error({ kind, err: errorMessage(e) }, "model round failed");
          o.system().tell(coord, { type: "model-sync.failed", kind, error: errorMessage(e) });
        } finally {
          busy = false;
        }
      })();
    },
  };
}
