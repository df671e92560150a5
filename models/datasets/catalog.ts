import type { Interaction, User, Video } from "./schema.ts";

export interface CatalogCounts {
  videos: number;
  users: number;
  interactions: number;
}

/**
 * One dataset's videos (with metadata), users and interactions (keyed by user, then time). Writes may be
 * buffered until `flush`; reads see flushed data. Implementations: MemoryCatalog (below, embedded mode and
 * tests) and the LMDB catalog in cluster/catalog.
 */
export interface Catalog {
  readonly dataset: string;
  putVideo(v: Video): void;
  /** Merges fields into a stored video; returns false (and stores nothing) when the video is unknown. */
  patchVideo(videoId: number, patch: Partial<Video>): boolean;
  putUser(u: User): void;
  putInteraction(i: Interaction): void;
  getVideo(videoId: number): Video | undefined;
  getUser(userId: number): User | undefined;
  videos(): Iterable<Video>;
  users(): Iterable<User>;
  /** Every interaction, by user id then time. */
  interactions(): Iterable<Interaction>;
  /** One user's interactions with fromMs <= timeMs < toMs, in time order. */
  interactionsOf(userId: number, fromMs?: number, toMs?: number): Iterable<Interaction>;
  counts(): CatalogCounts;
  putMeta(key: string, value: unknown): void;
  getMeta<T>(key: string): T | undefined;
  /** Removes everything of this dataset (a re-import replaces, never appends). */
  clear(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The in-memory catalog: the embedded twin of the LMDB one, also used by tests. */
export class MemoryCatalog implements Catalog {
  private readonly vids = new Map<number, Video>();
  private readonly usrs = new Map<number, User>();
  private readonly byUser = new Map<number, Interaction[]>();
  private readonly unsorted = new Set<number>();
  private readonly meta = new Map<string, unknown>();
  private total = 0;

  constructor(readonly dataset: string) {}

  putVideo(v: Video): void {
    this.vids.set(v.videoId, v);
  }

  patchVideo(videoId: number, patch: Partial<Video>): boolean {
    const v = this.vids.get(videoId);
    if (v === undefined) return false;
    this.vids.set(videoId, { ...v, ...patch, videoId });
    return true;
  }

  putUser(u: User): void {
    this.usrs.set(u.userId, u);
  }

  putInteraction(i: Interaction): void {
    let list = this.byUser.get(i.userId);
    if (list === undefined) this.byUser.set(i.userId, (list = []));
    const last = list[list.length - 1];
    if (last !== undefined && last.timeMs > i.timeMs) this.unsorted.add(i.userId);
    list.push(i);
    this.total++;
  }

  getVideo(videoId: number): Video | undefined {
    return this.vids.get(videoId);
  }

  getUser(userId: number): User | undefined {
    return this.usrs.get(userId);
  }

  videos(): Iterable<Video> {
    return [...this.vids.keys()].sort((a, b) => a - b).map((k) => this.vids.get(k)!);
  }

  users(): Iterable<User> {
    return [...this.usrs.keys()].sort((a, b) => a - b).map((k) => this.usrs.get(k)!);
  }

  *interactions(): Iterable<Interaction> {
    for (const u of [...this.byUser.keys()].sort((a, b) => a - b)) yield* this.interactionsOf(u);
  }

  *interactionsOf(userId: number, fromMs = -Infinity, toMs = Infinity): Iterable<Interaction> {
    const list = this.byUser.get(userId);
    if (list === undefined) return;
    if (this.unsorted.delete(userId)) list.sort((a, b) => a.timeMs - b.timeMs);
    for (const i of list) if (i.timeMs >= fromMs && i.timeMs < toMs) yield i;
  }

  counts(): CatalogCounts {
    return { videos: this.vids.size, users: this.usrs.size, interactions: this.total };
  }

  putMeta(key: string, value: unknown): void {
    this.meta.set(key, value);
  }

  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }

  async clear(): Promise<void> {
    this.vids.clear();
    this.usrs.clear();
    this.byUser.clear();
    this.unsorted.clear();
    this.meta.clear();
    this.total = 0;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
