import { open, type Database, type RootDatabase } from "../durability/lmdb.ts";
import { StateStoreError } from "../../protocols/index.ts";
import type { Catalog, CatalogCounts, Interaction, User, Video } from "../../models/index.ts";

type Key = number | string | (number | string)[];
const BATCH = 20_000;

/**
 * A dataset catalog in LMDB (one environment, several datasets: `<dataset>.videos|users|interactions|meta`).
 * Interactions are keyed [userId, timeMs, seq] so one user's history is one ordered range scan; `seq`
 * keeps distinct interactions at the same millisecond apart. Writes are buffered and committed in
 * synchronous transactions of BATCH puts (one fsync per batch, not per row). Values use lmdb's msgpack.
 */
export class LmdbCatalog implements Catalog {
  private readonly root: RootDatabase;
  private readonly dbs: { videos: Database<Video, Key>; users: Database<User, Key>; interactions: Database<Interaction, Key>; meta: Database<unknown, Key> };
  private pending: [Database<any, Key>, Key, unknown][] = [];
  private readonly pendingVideos = new Map<number, Video>();
  private seq = 0;

  constructor(path: string, readonly dataset: string, opts: { noSync?: boolean } = {}) {
    try {
      this.root = open({ path, maxDbs: 64, noSync: opts.noSync ?? false });
      const db = <V>(name: string) => this.root.openDB<V, Key>({ name: `${dataset}.${name}`, encoding: "msgpack" });
      this.dbs = { videos: db<Video>("videos"), users: db<User>("users"), interactions: db<Interaction>("interactions"), meta: db("meta") };
    } catch (e) {
      throw new StateStoreError(`cannot open LMDB catalog at ${path}`, e);
    }
    for (const last of this.dbs.interactions.getKeys({ reverse: true, limit: 1 })) {
      this.seq = Array.isArray(last) ? Number(last[2]) + 1 : 0;
    }
  }

  private write(db: Database<any, Key>, key: Key, value: unknown): void {
    this.pending.push([db, key, value]);
    if (this.pending.length >= BATCH) this.commit();
  }

  private commit(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingVideos.clear();
    this.root.transactionSync(() => {
      for (const [db, k, v] of batch) db.putSync(k, v);
    });
  }

  putVideo(v: Video): void {
    this.pendingVideos.set(v.videoId, v);
    this.write(this.dbs.videos, v.videoId, v);
  }

  patchVideo(videoId: number, patch: Partial<Video>): boolean {
    const v = this.getVideo(videoId);
    if (v === undefined) return false;
    this.putVideo({ ...v, ...patch, videoId });
    return true;
  }

  putUser(u: User): void {
    this.write(this.dbs.users, u.userId, u);
  }

  putInteraction(i: Interaction): void {
    this.write(this.dbs.interactions, [i.userId, i.timeMs, this.seq++], i);
  }

  getVideo(videoId: number): Video | undefined {
    return this.pendingVideos.get(videoId) ?? this.dbs.videos.get(videoId);
  }

  getUser(userId: number): User | undefined {
    return this.dbs.users.get(userId);
  }

  videos(): Iterable<Video> {
    return this.dbs.videos.getRange().map((e) => e.value);
  }

  users(): Iterable<User> {
    return this.dbs.users.getRange().map((e) => e.value);
  }

  interactions(): Iterable<Interaction> {
    return this.dbs.interactions.getRange().map((e) => e.value);
  }

  interactionsOf(userId: number, fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): Iterable<Interaction> {
    return this.dbs.interactions.getRange({ start: [userId, fromMs], end: [userId, toMs] }).map((e) => e.value);
  }

  counts(): CatalogCounts {
    return { videos: this.dbs.videos.getCount(), users: this.dbs.users.getCount(), interactions: this.dbs.interactions.getCount() };
  }

  putMeta(key: string, value: unknown): void {
    this.write(this.dbs.meta, key, value);
  }

  getMeta<T>(key: string): T | undefined {
    return this.dbs.meta.get(key) as T | undefined;
  }

  async clear(): Promise<void> {
    this.pending = [];
    this.pendingVideos.clear();
    this.seq = 0;
    for (const db of Object.values(this.dbs)) await db.clearAsync();
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

/** Datasets that have an imported catalog in the environment at `path`. */
export function listCatalogDatasets(path: string, candidates: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of candidates) {
    const c = new LmdbCatalog(path, d);
    if (c.getMeta("import") !== undefined) out.push(d);
    void c.close();
  }
  return out;
}
