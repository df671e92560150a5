import type { CheckpointStore, EventLog, LogFollower, LoggedEvent, ShardCheckpoint } from "./event-log.ts";

/**
 * The in-process twin of the JetStream event log: several nodes in one process share one instance
 * (integration tests of hand-off and fail-over). Delivery to followers is asynchronous, like a network.
 */
export class MemoryEventLog implements EventLog {
  private readonly events: LoggedEvent[] = [];
  private readonly followers = new Set<(e: LoggedEvent) => void>();
  /** msgId -> sequence, for appends within the duplicate window. */
  private readonly ids = new Map<string, { seq: number; at: number }>();

  constructor(private readonly dedupWindowMs = 120_000) {}

  async append(shard: number, data: Uint8Array, msgId?: string): Promise<number> {
    if (msgId !== undefined) {
      const now = Date.now();
      const prev = this.ids.get(msgId);
      if (prev !== undefined && now - prev.at <= this.dedupWindowMs) return prev.seq;
      this.ids.set(msgId, { seq: this.events.length + 1, at: now });
    }
    const e = { seq: this.events.length + 1, shard, data };
    this.events.push(e);
    queueMicrotask(() => {
      for (const f of this.followers) f(e);
    });
    return e.seq;
  }

  async lastSeq(): Promise<number> {
    return this.events.length;
  }

  async follow(fromSeq: number, onEvent: (e: LoggedEvent) => void): Promise<LogFollower> {
    // Past events first, then live ones: the follower list is joined synchronously after the catch-up.
    for (let i = Math.max(0, fromSeq - 1); i < this.events.length; i++) onEvent(this.events[i]!);
    const upTo = this.events.length;
    const f = (e: LoggedEvent): void => {
      if (e.seq > upTo) onEvent(e);
    };
    this.followers.add(f);
    return { stop: async () => void this.followers.delete(f) };
  }

  async replay(shard: number, afterSeq: number, onEvent: (e: LoggedEvent) => void): Promise<number> {
    let n = 0;
    for (let i = afterSeq; i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.shard === shard) {
        onEvent(e);
        n++;
      }
    }
    return n;
  }

  async close(): Promise<void> {
    this.followers.clear();
  }
}

/** Checkpoints in a Map (shared by the nodes of one process). */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly map = new Map<number, ShardCheckpoint>();
  async load(shard: number): Promise<ShardCheckpoint | undefined> {
    return this.map.get(shard);
  }
  async save(shard: number, cp: ShardCheckpoint): Promise<void> {
    this.map.set(shard, { ...cp, actors: cp.actors.map(([id, b]) => [id, b.slice()]) });
  }
  async shards(): Promise<Set<number>> {
    return new Set(this.map.keys());
  }
  async close(): Promise<void> {}
}
