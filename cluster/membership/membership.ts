import type { Logger } from "pino";
import { ProtocolMismatchError, errorMessage } from "../../protocols/index.ts";
import { EventStream } from "../../actors/index.ts";
import type { MemberRecord, MembershipTable } from "./membership-table.ts";

/** idle -> joining -> active -> leaving -> left; any -> stopped (crash-like stop, the lease just expires). */
export type MembershipState = "idle" | "joining" | "active" | "leaving" | "left" | "stopped";

export type MembershipEvent =
  | { type: "state"; from: MembershipState; to: MembershipState }
  /** The sorted active members changed (the input of placement). `version` is the table revision. */
  | { type: "view"; members: readonly string[]; joined: string[]; left: string[]; version: number }
  /** This node judged a member failed (its lease expired) and removed it. */
  | { type: "member-failed"; nodeId: string; silentMs: number }
  /** Another node removed this node's lease (it was silent too long); it re-registers. */
  | { type: "expelled" }
  /** A member's lease was renewed (its published figures may have changed). */
  | { type: "renewed"; nodeId: string };

export interface MembershipOptions {
  table: MembershipTable;
  nodeId: string;
  protocolVersion: number;
  numShards: number;
  heartbeatMs: number;
  leaseMs: number;
  info?: Record<string, string>;
  /** Figures published with every renewal (owned shards, lag…), shown by `fyp cluster status`. */
  status?: () => Record<string, string>;
  log: Logger;
}

interface Known {
  record: MemberRecord;
  revision: number;
  /** Local time (ms, monotonic) the lease was last renewed as seen here. */
  lastHeard: number;
}

const now = (): number => performance.now();

/**
 * This node's view of the cluster: joins with a lease, renews it every heartbeat, removes members whose
 * lease expired, and reports the sorted active members as typed `view` events. Leases are judged on the
 * local monotonic clock (when a renewal was seen), never by comparing clocks of different machines.
 */
export class Membership {
  readonly events = new EventStream<MembershipEvent>();
  private st: MembershipState = "idle";
  private readonly known = new Map<string, Known>();
  private viewMembers: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private watcher: { stop(): void } | null = null;
  private heartbeatFailing = false;
  private readonly startedAt = Date.now();
  private readonly log: Logger;
  private info: Record<string, string>;

  constructor(private readonly o: MembershipOptions) {
    this.info = { ...o.info };
    this.log = o.log.child({ module: "membership", node: o.nodeId });
  }

  get state(): MembershipState {
    return this.st;
  }

  /** Replaces the addresses published with the lease (from the next renewal on). */
  setInfo(info: Record<string, string>): void {
    this.info = { ...info };
  }

  /** Sorted ids of the active members (leaving ones excluded). */
  get members(): readonly string[] {
    return this.viewMembers;
  }

  /** Records of every member currently holding a lease (including leaving ones). */
  records(): MemberRecord[] {
    return [...this.known.values()].map((k) => k.record);
  }

  /** The figures `nodeId` published with its latest renewal. */
  infoOf(nodeId: string): Record<string, string> | undefined {
    return this.known.get(nodeId)?.record.info;
  }

  /** Renews the lease now (after a change worth publishing, e.g. shards acquired). */
  renewNow(): void {
    if (this.st === "active" || this.st === "leaving") void this.tick();
  }

  /** True while `nodeId` holds a lease (active or leaving). */
  isMember(nodeId: string): boolean {
    return this.known.has(nodeId);
  }

  private transitionToState(from: readonly MembershipState[], to: MembershipState): void {
    if (!from.includes(this.st)) throw new Error(`membership: cannot go from ${this.st} to ${to}`);
    const prev = this.st;
    this.st = to;
    this.log.info({ from: prev, to }, "membership state");
    this.events.emit({ type: "state", from: prev, to });
  }

  /**
   * Joins: checks the cluster's protocol version and shard count (ProtocolMismatchError, nothing written),
   * registers the lease, starts renewing it and watching the others. Resolves once this node is in its view.
   */
  async join(): Promise<void> {
    this.transitionToState(["idle"], "joining");
    try {
      const cluster = await this.o.table.ensureCluster({ protocolVersion: this.o.protocolVersion, numShards: this.o.numShards });
      if (cluster.protocolVersion !== this.o.protocolVersion) throw new ProtocolMismatchError("protocol version", this.o.protocolVersion, cluster.protocolVersion);
      if (cluster.numShards !== this.o.numShards) throw new ProtocolMismatchError("shard count", this.o.numShards, cluster.numShards);
      const inView = this.events.next("view", (e) => e.members.includes(this.o.nodeId));
      this.watcher = await this.o.table.watch((c) => this.onChange(c.nodeId, c.record, c.revision, c.ageMs));
      await this.renew("active");
      this.timer = setInterval(() => void this.tick(), this.o.heartbeatMs);
      await inView;
      this.transitionToState(["joining"], "active");
    } catch (e) {
      this.shutdown();
      this.transitionToState(["joining"], "stopped");
      throw e;
    }
  }

  /** Marks this node leaving: others stop placing shards on it. Call `leftCluster` after the hand-off. */
  async leave(): Promise<void> {
    this.transitionToState(["active"], "leaving");
    await this.renew("leaving");
  }

  /** Removes the lease after a graceful hand-off. */
  async leftCluster(): Promise<void> {
    this.transitionToState(["leaving"], "left");
    this.shutdown();
    await this.o.table.remove(this.o.nodeId);
  }

  /** Stops renewing without removing the lease (what a crash looks like to the others). */
  stop(): void {
    if (this.st === "stopped" || this.st === "left") return;
    this.shutdown();
    this.transitionToState(["idle", "joining", "active", "leaving"], "stopped");
  }

  private shutdown(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.watcher?.stop();
    this.watcher = null;
  }

  private async renew(state: MemberRecord["state"]): Promise<void> {
    await this.o.table.put({
      nodeId: this.o.nodeId, protocolVersion: this.o.protocolVersion, numShards: this.o.numShards, state, startedAt: this.startedAt,
      info: { ...this.info, ...this.o.status?.() },
    });
  }

  private async tick(): Promise<void> {
    try {
      await this.renew(this.st === "leaving" ? "leaving" : "active");
      if (this.heartbeatFailing) {
        // Our own link was down: nobody's silence during the outage says anything about them.
        this.heartbeatFailing = false;
        for (const k of this.known.values()) k.lastHeard = now();
      }
    } catch (e) {
      if (!this.heartbeatFailing) this.log.warn({ err: errorMessage(e) }, "lease renewal failed");
      this.heartbeatFailing = true;
      return;
    }
    const t = now();
    for (const [id, k] of this.known) {
      const silent = t - k.lastHeard;
      if (id === this.o.nodeId || silent <= this.o.leaseMs) continue;
      k.lastHeard = t; // one verdict per lease period, whoever wins the compare-and-delete
      if (await this.o.table.remove(id, k.revision)) {
        this.log.warn({ member: id, silentMs: Math.round(silent) }, "member failed");
        this.events.emit({ type: "member-failed", nodeId: id, silentMs: silent });
      }
    }
  }

  private onChange(nodeId: string, record: MemberRecord | undefined, revision: number, ageMs: number): void {
    if (record === undefined) {
      this.known.delete(nodeId);
      if (nodeId === this.o.nodeId && (this.st === "active" || this.st === "joining")) {
        this.log.warn("expelled from the cluster (lease removed); registering again");
        this.events.emit({ type: "expelled" });
        void this.renew("active").catch(() => {});
      }
    } else {
      this.known.set(nodeId, { record, revision, lastHeard: now() - ageMs });
      if (this.events.active) this.events.emit({ type: "renewed", nodeId });
    }
    const members = [...this.known.values()].filter((k) => k.record.state === "active").map((k) => k.record.nodeId).sort();
    const prev = this.viewMembers;
    if (members.length === prev.length && members.every((m, i) => m === prev[i])) return;
    this.viewMembers = members;
    const joined = members.filter((m) => !prev.includes(m));
    const left = prev.filter((m) => !members.includes(m));
    this.log.info({ members, joined, left, version: revision }, "membership view");
    this.events.emit({ type: "view", members, joined, left, version: revision });
  }
}
