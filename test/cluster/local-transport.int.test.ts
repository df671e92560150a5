import t from "tap";
import { PROTOCOL_VERSION, createCodec, shardOf, subjects, AskTimeoutError, type Batch } from "../../protocols/index.ts";
import { RemoteRouter, defineActor, type ShardOwnership } from "../../actors/index.ts";
import { LocalHub, silentLogger } from "../../cluster/index.ts";
import { testSystem } from "../helpers/actor-system.ts";

const NUM_SHARDS = 8;

/** Static ownership: node i owns shards with shard % nodes === i. */
function ownership(node: number, nodes: number): ShardOwnership {
  return {
    numShards: NUM_SHARDS,
    isLocalShard: (s) => s % nodes === node,
    localShards: () => Array.from({ length: NUM_SHARDS }, (_, s) => s).filter((s) => s % nodes === node),
  };
}

type M = { type: "add"; n: number } | { type: "get" } | { type: "relay"; to: string; n: number };
const adder = defineActor<{ sum: number; node: string }, M>({
  kind: "adder",
  initialState: () => ({ sum: 0, node: "" }),
  receive(ctx, msg) {
    ctx.state.node = String(ctx.services.node);
    switch (msg.type) {
      case "add":
        ctx.state.sum += msg.n;
        return undefined;
      case "get":
        return { sum: ctx.state.sum, node: ctx.state.node };
      case "relay":
        return ctx.ask(msg.to, { type: "add", n: msg.n }).then(() => ctx.ask(msg.to, { type: "get" }));
    }
  },
});

function twoNodes() {
  const hub = new LocalHub();
  const nodes = [0, 1].map((i) => {
    const { system } = testSystem({ askTimeoutMs: 5000, services: { node: `n${i}` } });
    system.register(adder);
    const router = new RemoteRouter({
      system, transport: hub.connect(), codec: createCodec(), cluster: "test", nodeId: `n${i}`, ownership: ownership(i, 2), log: silentLogger(),
    });
    router.start();
    return { system, router };
  });
  return { hub, nodes };
}

t.test("local transport - actors on two nodes: tell and ask cross nodes through the transport", async (t) => {
  const { nodes } = twoNodes();
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  const ids = Array.from({ length: 40 }, (_, i) => `adder/k${i}`);
  for (const id of ids) for (let n = 1; n <= 5; n++) a.system.tell(id, { type: "add", n });
  const results = await Promise.all(ids.map((id) => a.system.ask<{ sum: number; node: string }>(id, { type: "get" })));
  for (const [i, r] of results.entries()) {
    const owner = shardOf(ids[i]!, NUM_SHARDS) % 2 === 0 ? "n0" : "n1";
    t.same(r, { sum: 15, node: owner }, `${ids[i]} lives on ${owner}`);
  }
  t.ok(a.router.counters.sentEnvelopes > 0 && b.router.counters.receivedEnvelopes > 0, "node 1 received from node 0");
  t.ok(a.router.counters.sentBatches < a.router.counters.sentEnvelopes, `batched: ${a.router.counters.sentEnvelopes} envelopes in ${a.router.counters.sentBatches} batches`);
  // an actor on one node asking an actor on the other
  const remoteId = ids.find((id) => shardOf(id, NUM_SHARDS) % 2 === 1)!;
  const localId = ids.find((id) => shardOf(id, NUM_SHARDS) % 2 === 0)!;
  const relayed = await b.system.ask<{ sum: number }>(localId, { type: "relay", to: remoteId, n: 100 });
  t.equal(relayed.sum, 115);
});

t.test("local transport - errors cross the wire typed; other protocol versions are rejected", async (t) => {
  const hub = new LocalHub();
  const { system } = testSystem({ askTimeoutMs: 200 });
  system.register(adder);
  const router = new RemoteRouter({ system, transport: hub.connect(), codec: createCodec(), cluster: "v", nodeId: "n0", ownership: ownership(0, 2), log: silentLogger() });
  router.start();
  const foreign = createCodec();
  const raw = hub.connect();
  const shard = ownership(0, 2).localShards()[Symbol.iterator]().next().value as number;
  const bad: Batch = { v: PROTOCOL_VERSION + 1, envelopes: [{ v: PROTOCOL_VERSION + 1, to: "adder/x", msg: { type: "add", n: 1 } }] };
  raw.publish(subjects.shard("v", shard), foreign.encode(bad));
  await hub.flushed();
  t.equal(router.counters.rejected, 1, "a batch from another protocol version is refused");
  // An ask to a shard nobody owns times out with a typed error (clock is virtual: fire the deadline).
  const unowned = Array.from({ length: 100 }, (_, i) => `adder/z${i}`).find((id) => shardOf(id, NUM_SHARDS) % 2 === 1)!;
  const p = system.ask(unowned, { type: "get" });
  await hub.flushed();
  const clock = system.clock as import("../../actors/index.ts").VirtualClock;
  while (clock.pending > 0) clock.fireNext();
  await t.rejects(p, AskTimeoutError);
});
