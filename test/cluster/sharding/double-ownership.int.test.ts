import t from "tap";
import { createCodec, type SessionMsg } from "../../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, WallClock, defineActor } from "../../../actors/index.ts";
import { ClusterNode, LocalHub, MemoryCheckpointStore, MemoryEventLog, MemoryMembershipTable, silentLogger } from "../../../cluster/index.ts";

const SETTINGS = { numShards: 64, heartbeatMs: 40, leaseMs: 300, checkpointMs: 60, handoffTimeoutMs: 3000 };
const noop = defineActor<{ n: number }, SessionMsg>({ kind: "session", initialState: () => ({ n: 0 }), receive: () => undefined });

/**
 * One run: a owns everything, then b and c join at the same time (shards may pass a -> b -> c). Returns
 * the shards that were ever "owned" by two nodes at the same instant (across all nodes' state machines).
 */
async function run(): Promise<{ overlaps: string[]; owned: number }> {
  const hub = new LocalHub();
  const table = new MemoryMembershipTable();
  const eventLog = new MemoryEventLog();
  const checkpoints = new MemoryCheckpointStore();
  const owners = new Map<number, Set<string>>();
  const overlaps: string[] = [];
  const make = (nodeId: string) => {
    const system = new ActorSystem({
      clock: new WallClock(), store: new MemoryStateStore(), codec: createCodec(), log: silentLogger(),
      mailboxCapacity: 100_000, askTimeoutMs: 5000, passivationIdleMs: 600_000, sweepIntervalMs: 0, throughput: 32, dispatchBatch: 10_000,
    });
    system.register(noop);
    const node = new ClusterNode({ cluster: "dbl", nodeId, settings: SETTINGS, system, transport: hub.connect(), codec: createCodec(), table, eventLog, checkpoints, log: silentLogger() });
    node.shards.events.on((e) => {
      if (e.type !== "shard") return;
      const set = owners.get(e.shard) ?? new Set<string>();
      owners.set(e.shard, set);
      if (e.to === "owned") {
        if (set.size > 0) overlaps.push(`shard ${e.shard}: ${nodeId} owns it while ${[...set].join(",")} still does`);
        set.add(nodeId);
      } else if (e.from === "owned") set.delete(nodeId);
    });
    return node;
  };
  const [a, b, c] = [make("a"), make("b"), make("c")];
  await a.start();
  await a.shards.whenSettled();
  await Promise.all([b.start(), c.start()]);
  await Promise.all([a, b, c].map((n) => n.shards.whenSettled()));
  const owned = [a, b, c].reduce((s, n) => s + n.shards.ownedCount(), 0);
  for (const n of [a, b, c]) await n.crash();
  return { overlaps, owned };
}

t.test("shard hand-off - concurrent joins (a -> b -> c): a shard is never owned by two nodes at once", async (t) => {
  const all: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await run();
    t.equal(r.owned, SETTINGS.numShards, `run ${i}: every shard owned once at the end`);
    all.push(...r.overlaps.map((o) => `run ${i}: ${o}`));
  }
  t.same(all.slice(0, 10), [], `no double ownership (${all.length} overlaps in 10 runs)`);
});
