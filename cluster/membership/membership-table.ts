/** What a node publishes about itself in its lease. */
export interface MemberRecord {
  nodeId: string;
  protocolVersion: number;
  numShards: number;
  /** "active" members own shards; "leaving" ones are handing theirs over. */
  state: "active" | "leaving";
  /** Epoch ms the node started. */
  startedAt: number;
  /** Free-form addresses (gRPC endpoint…) for `fyp cluster status`. */
  info: Record<string, string>;
}

/** The parameters every member of a cluster must share (checked at join). */
export interface ClusterRecord {
  protocolVersion: number;
  numShards: number;
}

/** One change of the table, in the table's global order (every node sees the same sequence). */
export interface MemberChange {
  nodeId: string;
  /** The new record; undefined when the member was removed. */
  record: MemberRecord | undefined;
  /** Global revision of the change. */
  revision: number;
  /** How old the record already was when it was read (initial snapshot); 0 for live changes. */
  ageMs: number;
}

/**
 * The shared table of leases (Orleans' membership table). Implementations: MemoryMembershipTable
 * (in-process twin), KvLeaseTable (JetStream KV bucket).
 */
export interface MembershipTable {
  /** Creates the cluster record if absent; returns the one in force. */
  ensureCluster(rec: ClusterRecord): Promise<ClusterRecord>;
  /** Writes (renews) a member's lease; returns the revision. */
  put(rec: MemberRecord): Promise<number>;
  /** Removes a member; with `revision`, only if its lease is still that one (a failure verdict races renewals). */
  remove(nodeId: string, revision?: number): Promise<boolean>;
  /** The records holding a lease now. */
  list(): Promise<MemberRecord[]>;
  /** Calls back with the current members, then every change, in order. */
  watch(onChange: (c: MemberChange) => void): Promise<{ stop(): void }>;
  close(): Promise<void>;
}

/** The in-process twin: several nodes of one process share one table. */
export class MemoryMembershipTable implements MembershipTable {
  private cluster: ClusterRecord | undefined;
  private readonly rows = new Map<string, { rec: MemberRecord; revision: number; at: number }>();
  private revision = 0;
  private readonly watchers = new Set<(c: MemberChange) => void>();

  async ensureCluster(rec: ClusterRecord): Promise<ClusterRecord> {
    this.cluster ??= { ...rec };
    return this.cluster;
  }

  async put(rec: MemberRecord): Promise<number> {
    const revision = ++this.revision;
    this.rows.set(rec.nodeId, { rec: structuredClone(rec), revision, at: Date.now() });
    this.notify({ nodeId: rec.nodeId, record: structuredClone(rec), revision, ageMs: 0 });
    return revision;
  }

  async remove(nodeId: string, revision?: number): Promise<boolean> {
    const row = this.rows.get(nodeId);
    if (row === undefined || (revision !== undefined && row.revision !== revision)) return false;
    this.rows.delete(nodeId);
    this.notify({ nodeId, record: undefined, revision: ++this.revision, ageMs: 0 });
    return true;
  }

  async list(): Promise<MemberRecord[]> {
    return [...this.rows.values()].map((r) => structuredClone(r.rec));
  }

  async watch(onChange: (c: MemberChange) => void): Promise<{ stop(): void }> {
    const now = Date.now();
    for (const [nodeId, row] of this.rows) onChange({ nodeId, record: structuredClone(row.rec), revision: row.revision, ageMs: now - row.at });
    this.watchers.add(onChange);
    return { stop: () => void this.watchers.delete(onChange) };
  }

  private notify(c: MemberChange): void {
    // Asynchronous like the network, and in order.
    queueMicrotask(() => {
      for (const w of this.watchers) w(c);
    });
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }
}
