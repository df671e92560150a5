import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { StateStoreError, createCodec, errorMessage, type Codec } from "../../protocols/index.ts";
import { open, type Database, type RootDatabase } from "./lmdb.ts";
import type { CheckpointStore, EventLog, LogFollower, LoggedEvent, ShardCheckpoint, StoredUpload } from "./event-log.ts";

export type { StoredUpload };

/** Key of an event in the by-shard table: shards in order, sequences in order within a shard. */
function shardKey(shard: number, seq: number): number {
  return shard * 4_294_967_296 + seq;
}


/**
 * The embedded node's durable event path in one LMDB environment (`<dir>/events.mdb`): the event log
 * (sequence -> shard + body; an append resolves once the transaction is committed, which is when the
 * client may be acknowledged), message ids within the duplicate window, shard checkpoints and uploaded
 * videos. The same EventLog / CheckpointStore contracts as JetStream, so the embedded node runs the
 * cluster's ShardManager code (checkpoint + replay on restart).
 */
export class LmdbDurability {
  readonly log: EventLog & { close(): Promise<void> };
  readonly checkpoints: CheckpointStore;
  private readonly root: RootDatabase;
  private readonly events: Database<Uint8Array, number>;
  private readonly ids: Database<Uint8Array, string>;
  private readonly ckpt: Database<Uint8Array, number>;
  private readonly uploads: Database<Uint8Array, number>;
  /** Event bodies by (shard, seq): a shard's replay reads only its own events. */
  private readonly byShard: Database<Uint8Array, number>;
  private readonly codec: Codec = createCodec();
  private seq: number;
  private readonly followers = new Set<(e: LoggedEvent) => void>();
  /** Committed events not yet handed to followers (they get them in sequence order). */
  private readonly committed = new Map<number, LoggedEvent>();
  private notified: number;
  /** Appends with a message id still committing (a concurrent retry waits for the first). */
  private readonly pendingIds = new Map<string, Promise<number>>();

  constructor(dir: string, private readonly dedupWindowMs = 120_000) {
    const path = join(dir, "events.mdb");
    try {
      mkdirSync(dir, { recursive: true });
      this.root = open({ path, noSync: false });
      this.events = this.root.openDB<Uint8Array, number>({ name: "events", encoding: "binary", keyEncoding: "uint32" });
      this.ids = this.root.openDB<Uint8Array, string>({ name: "event-ids", encoding: "binary" });
      this.ckpt = this.root.openDB<Uint8Array, number>({ name: "checkpoints", encoding: "binary", keyEncoding: "uint32" });
      this.uploads = this.root.openDB<Uint8Array, number>({ name: "uploads", encoding: "binary", keyEncoding: "uint32" });
      this.byShard = this.root.openDB<Uint8Array, number>({ name: "events-by-shard", encoding: "binary" });
    } catch (e) {
      throw new StateStoreError(`cannot open the LMDB event log at ${path}: ${errorMessage(e)}`, e);
    }
    let last = 0;
    for (const k of this.events.getKeys({ reverse: true, limit: 1 })) last = k;
    this.seq = last;
    this.notified = last;
    this.log = this.makeLog();
    this.checkpoints = this.makeCheckpoints();
  }

  private makeLog(): EventLog & { close(): Promise<void> } {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      async append(shard: number, data: Uint8Array, msgId?: string): Promise<number> {
        const now = Date.now();
        if (msgId !== undefined) {
          const pending = self.pendingIds.get(msgId);
          if (pending !== undefined) return pending;
          const prev = self.ids.get(msgId);
          if (prev !== undefined) {
            const p = self.codec.decode<{ seq: number; at: number }>(prev);
            if (now - p.at <= self.dedupWindowMs) return p.seq;
          }
          const done = self.store(shard, data, msgId, now).finally(() => self.pendingIds.delete(msgId));
          self.pendingIds.set(msgId, done);
          return done;
        }
        return self.store(shard, data, undefined, now);
      },
      async lastSeq(): Promise<number> {
        return self.notified;
      },
      async follow(fromSeq: number, onEvent: (e: LoggedEvent) => void): Promise<LogFollower> {
        const upTo = self.notified;
        for (let s = Math.max(1, fromSeq); s <= upTo; s++) {
          const e = self.read(s);
          if (e !== undefined) onEvent(e);
        }
        const f = (e: LoggedEvent): void => {
          if (e.seq > upTo) onEvent(e);
        };
        self.followers.add(f);
        return { stop: async () => void self.followers.delete(f) };
      },
      async replay(shard: number, afterSeq: number, onEvent: (e: LoggedEvent) => void): Promise<number> {
        let n = 0;
        for (const { key, value } of self.byShard.getRange({ start: shardKey(shard, afterSeq + 1), end: shardKey(shard + 1, 0) })) {
          onEvent({ seq: key - shardKey(shard, 0), shard, data: value });
          n++;
        }
        return n;
      },
      async close(): Promise<void> {
        self.followers.clear();
      },
    };
  }

  private async store(shard: number, data: Uint8Array, msgId: string | undefined, now: number): Promise<number> {
    const seq = ++this.seq;
    const body = this.codec.encode({ shard, data });
    try {
      await this.root.transaction(() => {
        this.events.put(seq, body);
        this.byShard.put(shardKey(shard, seq), data);
        if (msgId !== undefined) this.ids.put(msgId, this.codec.encode({ seq, at: now }));
      });
    } catch (err) {
      // a gap in the sequence: followers skip it
      this.committed.set(seq, { seq, shard: -1, data: new Uint8Array(0) });
      this.notify();
      throw new StateStoreError(`event ${seq} (shard ${shard}) not stored: ${errorMessage(err)}`, err);
    }
    this.committed.set(seq, { seq, shard, data });
    this.notify();
    return seq;
  }

  private notify(): void {
    for (let e = this.committed.get(this.notified + 1); e !== undefined; e = this.committed.get(this.notified + 1)) {
      this.committed.delete(e.seq);
      this.notified = e.seq;
      if (e.shard >= 0) for (const f of this.followers) f(e);
    }
  }

  private read(seq: number): LoggedEvent | undefined {
    const v = this.events.get(seq);
    if (v === undefined) return undefined;
    const b = this.codec.decode<{ shard: number; data: Uint8Array }>(v);
    return { seq, shard: b.shard, data: b.data };
  }

  private makeCheckpoints(): CheckpointStore {
    return {
      load: async (shard) => {
        const v = this.ckpt.get(shard);
        return v === undefined ? undefined : this.codec.decode<ShardCheckpoint>(v);
      },
      save: async (shard, cp) => {
        await this.ckpt.put(shard, this.codec.encode(cp));
      },
      shards: async () => new Set(this.ckpt.getKeys()),
      close: async () => {},
    };
  }

  /** Stores an uploaded video (resolves once committed). */
  async putUpload(u: StoredUpload): Promise<void> {
    await this.uploads.put(u.id, this.codec.encode({ ...u, vector: new Uint8Array(u.vector.buffer, u.vector.byteOffset, u.vector.byteLength) }));
  }

  /** Every stored upload, by id. */
  *storedUploads(): Iterable<StoredUpload> {
    for (const { value } of this.uploads.getRange()) {
      const r = this.codec.decode<Omit<StoredUpload, "vector"> & { vector: Uint8Array }>(value);
      const v = new Uint8Array(r.vector);
      yield { ...r, vector: new Float32Array(v.buffer, 0, v.byteLength / 4) };
    }
  }

  async close(): Promise<void> {
    this.followers.clear();
    await this.root.close();
  }
}
