import { open, type Database, type RootDatabase } from "../durability/lmdb.ts";
import { StateStoreError } from "../../protocols/index.ts";
import type { VectorStore } from "../../models/index.ts";

const BATCH = 10_000;

/**
 * Content vectors in LMDB (`<dataset>.vectors`: video id -> raw float32 bytes; `<dataset>.vectors-meta`).
 * Writes are buffered and committed in synchronous transactions of BATCH puts.
 */
export class LmdbVectorStore implements VectorStore {
  private readonly root: RootDatabase;
  private readonly vecs: Database<Buffer, number>;
  private readonly meta: Database<unknown, string>;
  private pending: [number, Float32Array][] = [];
  private pendingMeta: [string, unknown][] = [];

  constructor(path: string, readonly dataset: string) {
    try {
      this.root = open({ path, maxDbs: 64 });
      this.vecs = this.root.openDB<Buffer, number>({ name: `${dataset}.vectors`, encoding: "binary" });
      this.meta = this.root.openDB<unknown, string>({ name: `${dataset}.vectors-meta`, encoding: "msgpack" });
    } catch (e) {
      throw new StateStoreError(`cannot open LMDB vector store at ${path}`, e);
    }
  }

  put(videoId: number, vector: Float32Array): void {
    this.pending.push([videoId, vector]);
    if (this.pending.length >= BATCH) this.commit();
  }

  get(videoId: number): Float32Array | undefined {
    const b = this.vecs.getBinary(videoId);
    return b === undefined ? undefined : toFloat32(b);
  }

  entries(): Iterable<[number, Float32Array]> {
    return this.vecs.getRange().map(({ key, value }) => [key, toFloat32(value)] as [number, Float32Array]);
  }

  count(): number {
    return this.vecs.getCount();
  }

  putMeta(key: string, value: unknown): void {
    this.pendingMeta.push([key, value]);
  }

  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }

  private commit(): void {
    const batch = this.pending;
    const meta = this.pendingMeta;
    this.pending = [];
    this.pendingMeta = [];
    if (batch.length === 0 && meta.length === 0) return;
    this.root.transactionSync(() => {
      for (const [id, v] of batch) this.vecs.putSync(id, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      for (const [k, v] of meta) this.meta.putSync(k, v);
    });
  }

  async clear(): Promise<void> {
    this.pending = [];
    this.pendingMeta = [];
    await this.vecs.clearAsync();
    await this.meta.clearAsync();
  }

  async flush(): Promise<void> {
    this.commit();
    await this.root.flushed;
  }

  async close(): Promise<void> {
    this.commit();
    await this.root.close();
  }
}

// LMDB hands out buffers that alias its map; copy into an aligned Float32Array the caller may keep.
function toFloat32(b: Uint8Array): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
