/**
 * Where passivated actors keep their state, keyed by actor id. Reads may be synchronous (memory, LMDB)
 * or asynchronous; the actor system handles both.
 */
export interface StateStore {
  get(id: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  put(id: string, data: Uint8Array): void | Promise<void>;
  delete(id: string): void | Promise<void>;
  close(): Promise<void>;
}

/** Keeps state in a Map: the embedded default when durability is not wanted. */
export class MemoryStateStore implements StateStore {
  private readonly map = new Map<string, Uint8Array>();
  get(id: string): Uint8Array | undefined {
    return this.map.get(id);
  }
  put(id: string, data: Uint8Array): void {
    this.map.set(id, data);
  }
  delete(id: string): void {
    this.map.delete(id);
  }
  get size(): number {
    return this.map.size;
  }
  async close(): Promise<void> {}
}
