/**
 * Per-dataset content vectors keyed by video id. Implementations: MemoryVectorStore (below, embedded mode and
 * tests) and the LMDB store in cluster/catalog. Writes may be buffered until `flush`.
 */
export interface VectorStore {
  readonly dataset: string;
  put(videoId: number, vector: Float32Array): void;
  get(videoId: number): Float32Array | undefined;
  /** Every stored vector, by video id. */
  entries(): Iterable<[number, Float32Array]>;
  count(): number;
  putMeta(key: string, value: unknown): void;
  getMeta<T>(key: string): T | undefined;
  /** Removes this dataset's vectors (a re-embed replaces, never mixes model versions). */
  clear(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryVectorStore implements VectorStore {
  private readonly vecs = new Map<number, Float32Array>();
  private readonly meta = new Map<string, unknown>();
  constructor(readonly dataset: string) {}
  put(videoId: number, vector: Float32Array): void {
    this.vecs.set(videoId, vector);
  }
  get(videoId: number): Float32Array | undefined {
    return this.vecs.get(videoId);
  }
  entries(): Iterable<[number, Float32Array]> {
    return [...this.vecs].sort((a, b) => a[0] - b[0]);
  }
  count(): number {
    return this.vecs.size;
  }
  putMeta(key: string, value: unknown): void {
    this.meta.set(key, value);
  }
  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }
  async clear(): Promise<void> {
    this.vecs.clear();
    this.meta.clear();
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
