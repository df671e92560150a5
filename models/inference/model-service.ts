import type { Logger } from "pino";
import { errorMessage, InvalidArgumentError, ModelError, OverloadedError } from "../../protocols/index.ts";
import type { Feeds, InferenceSession, TensorData } from "./inference-session.ts";

export interface ModelServiceOptions {
  /** A batch starts as soon as this many rows are queued; otherwise at the end of the current tick. */
  maxBatchRows: number;
  /** Rows allowed to wait; beyond this `infer` fails fast with an overload error instead of queueing. */
  maxQueueRows: number;
  /** session.run calls in flight at once; while they run, new requests gather into the next batch. */
  maxConcurrentRuns: number;
  log?: Logger;
  /** Called after every batch (for metrics and for tests to await batching without sleeping). */
  onBatch?: (batch: BatchInfo) => void;
}

export interface BatchInfo {
  version: string;
  requests: number;
  rows: number;
  ms: number;
}

export interface InferResult {
  outputs: Feeds;
  /** The model version that produced these outputs (a feed item names the model that scored it). */
  version: string;
}

interface Pending {
  feeds: Feeds;
  rows: number;
  signature: string;
  resolve: (r: InferResult) => void;
  reject: (e: unknown) => void;
}

interface Loaded {
  version: string;
  session: InferenceSession;
  inflight: number;
  retired: boolean;
}

/**
 * Serves one model to many concurrent callers by dynamic batching: requests queued in the same tick (or up to
 * `maxBatchRows`) run as one session call and each caller gets its own rows back. `load` hot-swaps the model:
 * batches already running finish on the old session, which is released once they have.
 */
export class ModelService {
  private current: Loaded | undefined;
  private queue: Pending[] = [];
  private queuedRows = 0;
  private running = 0;
  private scheduled = false;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  readonly stats = { batches: 0, requests: 0, rows: 0 };

  constructor(readonly name: string, private readonly opts: ModelServiceOptions) {}

  get version(): string | undefined {
    return this.current?.version;
  }

  get inputNames(): readonly string[] {
    return this.current?.session.inputNames ?? [];
  }

  /** Makes `session` the model for every batch that starts from now on. */
  async load(version: string, session: InferenceSession): Promise<void> {
    if (this.closed) throw new ModelError(this.name, "load", "service is closed");
    const old = this.current;
    this.current = { version, session, inflight: 0, retired: false };
    this.opts.log?.info({ model: this.name, version, previous: old?.version }, "model loaded");
    if (old !== undefined) {
      old.retired = true;
      if (old.inflight === 0) await old.session.release();
    }
    this.pump();
  }

  /** Runs `feeds` (dim 0 of every input is this caller's row count) as part of the next batch. */
  infer(feeds: Feeds): Promise<InferResult> {
    if (this.closed) return Promise.reject(new ModelError(this.name, "infer", "service is closed"));
    let rows: number | undefined;
    const sig: string[] = [];
    for (const name of Object.keys(feeds).sort()) {
      const t = feeds[name]!;
      const r = t.dims[0];
      if (r === undefined || r < 1) return Promise.reject(new InvalidArgumentError(`feeds.${name}.dims`, "needs a batch dimension of at least 1", t.dims));
      if (rows !== undefined && r !== rows) return Promise.reject(new InvalidArgumentError(`feeds.${name}.dims[0]`, `every input needs the same row count (${rows})`, r));
      rows = r;
      sig.push(`${name}:${t.data.constructor.name}:${t.dims.slice(1).join("x")}`);
    }
    if (rows === undefined) return Promise.reject(new InvalidArgumentError("feeds", "no inputs"));
    if (this.queuedRows + rows > this.opts.maxQueueRows && this.queue.length > 0) {
      return Promise.reject(new OverloadedError(`model ${this.name} queue (${this.queuedRows} rows waiting)`));
    }
    return new Promise<InferResult>((resolve, reject) => {
      this.queue.push({ feeds, rows: rows!, signature: sig.join("|"), resolve, reject });
      this.queuedRows += rows!;
      if (this.queuedRows >= this.opts.maxBatchRows) this.pump();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Finishes queued and running work, then releases the session. */
  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    const cur = this.current;
    this.current = undefined;
    if (cur !== undefined) await cur.session.release();
  }

  private pump(): void {
    while (this.running < this.opts.maxConcurrentRuns && this.queue.length > 0 && this.current !== undefined) {
      const batch = this.takeBatch();
      void this.runBatch(this.current, batch);
    }
    if (this.queue.length === 0 && this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Takes queued requests with the first one's shape signature, up to `maxBatchRows` rows (at least one request). */
  private takeBatch(): Pending[] {
    const first = this.queue[0]!;
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    let rows = 0;
    for (const p of this.queue) {
      if (p.signature === first.signature && (batch.length === 0 || rows + p.rows <= this.opts.maxBatchRows)) {
        batch.push(p);
        rows += p.rows;
      } else rest.push(p);
    }
    this.queue = rest;
    this.queuedRows -= rows;
    return batch;
  }

  private async runBatch(model: Loaded, batch: Pending[]): Promise<void> {
    this.running++;
    model.inflight++;
    const t0 = performance.now();
    const rows = batch.reduce((s, p) => s + p.rows, 0);
    try {
      const feeds = batch.length === 1 ? batch[0]!.feeds : concatFeeds(batch.map((p) => p.feeds), rows);
      const out = await model.session.run(feeds);
      let offset = 0;
      for (const p of batch) {
        p.resolve({ outputs: batch.length === 1 ? out : sliceRows(out, offset, p.rows, rows, this.name), version: model.version });
        offset += p.rows;
      }
    } catch (e) {
      const err = new ModelError(this.name, "run", `${model.version}: ${errorMessage(e)}`, e);
      for (const p of batch) p.reject(err);
    } finally {
      model.inflight--;
      this.running--;
      this.stats.batches++;
      this.stats.requests += batch.length;
      this.stats.rows += rows;
      this.opts.onBatch?.({ version: model.version, requests: batch.length, rows, ms: performance.now() - t0 });
      if (model.retired && model.inflight === 0) {
        await model.session.release().catch((e: unknown) => this.opts.log?.warn({ model: this.name, err: e }, "release failed"));
      }
      this.pump();
    }
  }
}

function concatFeeds(all: Feeds[], rows: number): Feeds {
  const out: Feeds = {};
  for (const name of Object.keys(all[0]!)) {
    const first = all[0]![name]!;
    const rowSize = first.data.length / first.dims[0]!;
    const data = new (first.data.constructor as new (n: number) => TensorData["data"])(rows * rowSize);
    let offset = 0;
    for (const f of all) {
      const t = f[name]!;
      (data as Float32Array).set(t.data as Float32Array, offset);
      offset += t.data.length;
    }
    out[name] = { data, dims: [rows, ...first.dims.slice(1)] };
  }
  return out;
}

function sliceRows(out: Feeds, start: number, count: number, total: number, model: string): Feeds {
  const res: Feeds = {};
  for (const [name, t] of Object.entries(out)) {
    if (t.dims[0] !== total) throw new ModelError(model, "run", `output ${name} has ${t.dims[0]} rows for a batch of ${total}`);
    const rowSize = t.data.length / total;
    // views, not copies: every caller gets a disjoint range of a buffer nobody else holds
    res[name] = { data: t.data.subarray(start * rowSize, (start + count) * rowSize), dims: [count, ...t.dims.slice(1)] };
  }
  return res;
}
