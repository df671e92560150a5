// The one file that uses the membership KV bucket (the NATS socket comes from NatsTransport.connection).
import { Kvm, type KV } from "@nats-io/kv";
import { createCodec, subjects, type Codec } from "../../protocols/index.ts";
import type { NatsTransport } from "../transport/nats-transport.ts";
import type { ClusterRecord, MemberChange, MemberRecord, MembershipTable } from "./membership-table.ts";

type Connection = NatsTransport["connection"];
const CLUSTER_KEY = "cluster";
const MEMBER_PREFIX = "member.";

/**
 * Leases in the JetStream KV bucket `fyp_<cluster>_members` (history 1): `cluster` holds the shared
 * parameters, `member.<node>` each node's record, renewed every heartbeat. A failed member's key is
 * deleted by whichever node notices first, with the revision it judged (a compare-and-delete), so every
 * node sees the same sequence of membership changes.
 */
export class KvLeaseTable implements MembershipTable {
  private readonly codec: Codec = createCodec();
  private constructor(private readonly kv: KV) {}

  static async open(nc: Connection, cluster: string, replicas = 1): Promise<KvLeaseTable> {
    return new KvLeaseTable(await new Kvm(nc).create(subjects.membersBucket(cluster), { history: 1, replicas }));
  }

  async ensureCluster(rec: ClusterRecord): Promise<ClusterRecord> {
    try {
      await this.kv.create(CLUSTER_KEY, this.codec.encode(rec));
      return rec;
    } catch {
      const e = await this.kv.get(CLUSTER_KEY);
      if (e === null || e.operation !== "PUT") return this.ensureCluster(rec);
      return this.codec.decode<ClusterRecord>(e.value);
    }
  }

  put(rec: MemberRecord): Promise<number> {
    return this.kv.put(MEMBER_PREFIX + rec.nodeId, this.codec.encode(rec));
  }

  async remove(nodeId: string, revision?: number): Promise<boolean> {
    try {
      await this.kv.delete(MEMBER_PREFIX + nodeId, revision === undefined ? {} : { previousSeq: revision });
      return true;
    } catch {
      return false; // renewed meanwhile, or already removed by another node
    }
  }

  async list(): Promise<MemberRecord[]> {
    const out: MemberRecord[] = [];
    // A lease renewed while the keys are listed can come twice (the listing follows the bucket's stream).
    const keys = new Set<string>();
    for await (const k of await this.kv.keys(MEMBER_PREFIX + ">")) keys.add(k);
    for (const k of keys) {
      const e = await this.kv.get(k);
      if (e !== null && e.operation === "PUT") out.push(this.codec.decode<MemberRecord>(e.value));
    }
    return out;
  }

  async watch(onChange: (c: MemberChange) => void): Promise<{ stop(): void }> {
    const it = await this.kv.watch({ key: MEMBER_PREFIX + ">" });
    let initial = true;
    void (async () => {
      for await (const e of it) {
        const nodeId = e.key.slice(MEMBER_PREFIX.length);
        // The first entries are the current values (delta counts down to 0); their age tells stale leases.
        const ageMs = initial ? Math.max(0, Date.now() - e.created.getTime()) : 0;
        if (e.delta === 0) initial = false;
        onChange({ nodeId, record: e.operation === "PUT" ? this.codec.decode<MemberRecord>(e.value) : undefined, revision: e.revision, ageMs });
      }
    })();
    return { stop: () => it.stop() };
  }

  async close(): Promise<void> {}
}
