import t from "tap";
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { subjects } from "../../protocols/index.ts";
import { JetStreamEventLog, NatsTransport, silentLogger } from "../../cluster/index.ts";
import { startNatsServer } from "../helpers/nats-server.ts";

const CLUSTER = "elf";

t.test("event log follower - events appended while its consumer is gone and cannot be re-created are delivered (direct gets), once each, in order", async (t) => {
  const server = await startNatsServer();
  t.teardown(() => server.stop());
  const transport = await NatsTransport.connect({ servers: server.url, name: "elf-test", log: silentLogger() });
  t.teardown(() => transport.close());
  const jsm = await jetstreamManager(transport.connection);
  const stream = subjects.eventStream(CLUSTER);
  // A stream of an older version (no direct gets) that holds at most two consumers: the follower's and a
  // blocker, so that once the follower's consumer is deleted it cannot be re-created (as while a NATS
  // cluster's JetStream meta leader is re-elected after a server died: creations go unanswered for seconds).
  await jsm.streams.add({ name: stream, subjects: [subjects.allEvents(CLUSTER)], max_consumers: 2 });
  const log = await JetStreamEventLog.open(transport.connection, { cluster: CLUSTER, maxAgeMs: 86_400_000, log: silentLogger() });
  t.teardown(() => log.close());
  t.equal((await jsm.streams.info(stream)).config.allow_direct, true, "opening the log lets the stream answer direct gets");

  const got: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const delivered = (n: number, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (got.length >= n) return resolve();
      const timer = setTimeout(() => reject(new Error(`${what}: ${got.length} of ${n} events delivered within 20 s (${got.join(",")})`)), 20_000);
      waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  await log.follow(1, (e) => {
    got.push(e.seq);
    for (let i = waiters.length - 1; i >= 0; i--) if (got.length >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
  });
  const append = async (n: number) => {
    for (let i = 0; i < n; i++) await log.append(i % 4, new Uint8Array([i]));
  };

  await append(5);
  await delivered(5, "through the consumer");
  const followerConsumers = (await jsm.consumers.list(stream).next()).map((c) => c.name);
  t.equal(followerConsumers.length, 1, "the follower reads through one consumer");
  await jsm.consumers.add(stream, { durable_name: "blocker", ack_policy: AckPolicy.None });
  for (const name of followerConsumers) await jsm.consumers.delete(stream, name);

  await append(10);
  await delivered(15, "while the consumer cannot be re-created");
  t.same((await jsm.consumers.list(stream).next()).map((c) => c.name), ["blocker"], "those came without a consumer (it could not be re-created)");

  await jsm.consumers.delete(stream, "blocker");
  await append(5);
  await delivered(20, "after the blocker left");
  t.same(got, Array.from({ length: 20 }, (_, i) => i + 1), "every sequence delivered once, in order");
});
