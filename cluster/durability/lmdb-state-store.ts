import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { open, type Database, type RootDatabase } from "./lmdb.ts";
import { StateStoreError } from "../../protocols/index.ts";
import type { StateStore } from "../../actors/index.ts";

/**
 * Actor state in LMDB: reads are synchronous (memory-mapped), writes are batched by lmdb-js into one
 * transaction per event-loop turn and resolve when committed.
 */
export class LmdbStateStore implements StateStore {
  private readonly root: RootDatabase;
  private readonly db: Database<Uint8Array, string>;

  /** Opens (creating it if needed) the store in folder `dir` (file `state.mdb`). */
  constructor(dir: string, opts: { name?: string; noSync?: boolean } = {}) {
    const path = join(dir, "state.mdb");
    try {
      mkdirSync(dir, { recursive: true });
      this.root = open({ path, noSync: opts.noSync ?? false });
      this.db = this.root.openDB<Uint8Array, string>({ name: opts.name ?? "actor-state", encoding: "binary" });
    } catch (e) {
      throw new StateStoreError(`cannot open LMDB state store at ${path}`, e);
    }
  }

  get(id: string): Uint8Array | undefined {
    return this.db.getBinary(id) ?? undefined;
  }

  async put(id: string, data: Uint8Array): Promise<void> {
    await this.db.put(id, data);
  }

  async delete(id: string): Promise<void> {
    await this.db.remove(id);
  }

  /** Number of stored actor states. */
  count(): number {
    return this.db.getCount();
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
