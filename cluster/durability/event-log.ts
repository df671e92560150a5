import type { ActorId } from "../../protocols/index.ts";

/** One durable event as the log returns it: its sequence (global, increasing), shard and encoded body. */
export interface LoggedEvent {
  seq: number;
  shard: number;
  data: Uint8Array;
}

/** A running reader of the log; `stop` ends it. */
export interface LogFollower {
  stop(): Promise<void>;
}

/**
 * The append-only log of state-changing events (DESIGN.md §4): appended before a client is acknowledged,
 * read by the owner of each shard, replayed from a checkpoint's sequence on takeover.
 * Implementations: MemoryEventLog (in-process twin), JetStreamEventLog (cluster).
 */
export interface EventLog {
  /**
   * Appends one event of `shard`; resolves with its sequence once it is durable. With `msgId`, an append
   * repeating the id of one stored within the log's duplicate window is not stored again: it resolves with
   * the first one's sequence (a client retrying an event whose acknowledgement it lost counts it once).
   */
  append(shard: number, data: Uint8Array, msgId?: string): Promise<number>;
  /** Sequence of the newest event (0 when empty). */
  lastSeq(): Promise<number>;
  /** Delivers every event with seq >= fromSeq, in order, then new ones as they are appended. */
  follow(fromSeq: number, onEvent: (e: LoggedEvent) => void): Promise<LogFollower>;
  /** Delivers, in order, the events of `shard` with seq > afterSeq that exist now; resolves when done. */
  replay(shard: number, afterSeq: number, onEvent: (e: LoggedEvent) => void): Promise<number>;
  close(): Promise<void>;
}

/** A shard's checkpoint: every actor state of the shard and the last event sequence they include. */
export interface ShardCheckpoint {
  /** Events of this shard with seq <= this are reflected in `actors`. */
  seq: number;
  /** Node that wrote it. */
  by: string;
  /** Epoch ms when it was taken. */
  at: number;
  actors: [ActorId, Uint8Array][];
}

/** Where shard checkpoints live (JetStream KV in a cluster, memory in the in-process twin). */
export interface CheckpointStore {
  load(shard: number): Promise<ShardCheckpoint | undefined>;
  save(shard: number, cp: ShardCheckpoint): Promise<void>;
  /** Shards that have a checkpoint (one listing instead of one read per empty shard). */
  shards(): Promise<Set<number>>;
  close(): Promise<void>;
}

/** An uploaded video as a node's catalog and content index need it back (after a restart, or from another node). */
export interface StoredUpload {
  id: number;
  category: number;
  authorId: number;
  durationMs: number;
  /** The content vector (stored, so every node indexes exactly the same one). */
  vector: Float32Array;
  at: number;
}
