import t from "tap";
import { createCodec, shardOf } from "../../protocols/index.ts";
import { RemoteRouter, defineActor, type ShardOwnership } from "../../actors/index.ts";
import { NatsTransport, silentLogger } from "../../cluster/index.ts";
import { startNatsServer } from "../helpers/nats-server.ts";
import { testSystem } from "../helpers/actor-system.ts";

const NUM_SHARDS = 16;
const own = (node: number): ShardOwnership => ({
  numShards: NUM_SHARDS,
  isLocalShard: (s) => s % 2 === node,
  localShards: () => Array.from({ length: NUM_SHARDS }, (_, s) => s).filter((s) => s % 2 === node),
});

type M = { type: "add"; n: number } | { type: "get" };
const adder = defineActor<{ sum: number }, M>({
  kind: "adder",
  initialState: () => ({ sum: 0 }),
  receive(ctx, msg) {
    if (msg.type === "add") ctx.state.sum += msg.n;
    else return { sum: ctx.state.sum, node: ctx.services.node };
    return undefined;
  },
});

t.test("nats transport - two nodes over a real nats-server: tell, ask, batching, request/reply", async (t) => {
  const server = await startNatsServer({ jetstream: false });
  t.teardown(() => server.stop());
  const nodes = await Promise.all(
    [0, 1].map(async (i) => {
      const transport = await NatsTransport.connect({ servers: server.url, name: `n${i}`, log: silentLogger() });
      const { system } = testSystem({ askTimeoutMs: 10_000, services: { node: `n${i}` }, mailboxCapacity: 100_000 });
      system.register(adder);
      const router = new RemoteRouter({ system, transport, codec: createCodec(), cluster: "natstest", nodeId: `n${i}`, ownership: own(i), log: silentLogger() });
      router.start();
      await transport.flush(); // subscriptions are registered on the server
      return { transport, system, router };
    }),
  );
  t.teardown(async () => {
    for (const n of nodes) await n.transport.close();
  });
  const [a] = nodes as [(typeof nodes)[0]];
  const ids = Array.from({ length: 100 }, (_, i) => `adder/k${i}`);
  for (let round = 1; round <= 10; round++) for (const id of ids) a.system.tell(id, { type: "add", n: round });
  const results = await Promise.all(ids.map((id) => a.system.ask<{ sum: number; node: string }>(id, { type: "get" })));
  for (const [i, r] of results.entries()) {
    t.equal(r.sum, 55, `${ids[i]} got every message`);
    t.equal(r.node, shardOf(ids[i]!, NUM_SHARDS) % 2 === 0 ? "n0" : "n1");
  }
  const c = a.router.counters;
  t.ok(c.sentBatches < c.sentEnvelopes / 5, `batched: ${c.sentEnvelopes} envelopes in ${c.sentBatches} NATS messages`);

  // plain request/reply through the transport
  const [n0, n1] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  n1.transport.subscribe("echo.test", (data, reply) => n1.transport.publish(reply!, new Uint8Array([...data].reverse())));
  await n1.transport.flush();
  t.same([...(await n0.transport.request("echo.test", new Uint8Array([1, 2, 3]), 5000))], [3, 2, 1]);
  await t.rejects(n0.transport.request("nobody.listens", new Uint8Array([1]), 200), { code: "FYP_ERR_TRANSPORT" });
});

t.test("nats transport - reconnects after the server restarts and keeps delivering", async (t) => {
  const first = await startNatsServer({ jetstream: false });
  const transport = await NatsTransport.connect({ servers: first.url, name: "r", log: silentLogger(), reconnectWaitMs: 50 });
  const got: number[] = [];
  let delivered: (() => void) | undefined;
  transport.subscribe("ping", (d) => {
    got.push(d[0]!);
    delivered?.();
  });
  await transport.flush();
  const disconnected = transport.events.next("disconnect");
  await first.stop();
  await disconnected;
  const reconnected = transport.events.next("reconnect");
  const second = await startNatsServer({ jetstream: false, port: first.port });
  t.teardown(() => second.stop());
  await reconnected;
  const arrived = new Promise<void>((r) => (delivered = r));
  transport.publish("ping", new Uint8Array([7]));
  await arrived;
  t.same(got, [7], "subscriptions are restored after the reconnect");
  await transport.close();
});
