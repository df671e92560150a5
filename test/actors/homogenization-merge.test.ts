import t from "tap";
import { createCodec, type HomogenizationSummary } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, coordinatorKind, homogenizationCoordinator, type Clock, type HomogenizationSample } from "../../actors/index.ts";
import { createRng, excessGini, sparseGini } from "../../models/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { silentLogger } from "../../cluster/index.ts";

/**
 * coord/homogenization merging a serving node's summaries: on the wall clock over several event-loop turns,
 * on virtual time at once. Both must give the stabilizer the figures the one-shot batch computation gives.
 */
const N = 100_000; // catalog videos, as `fyp serve --videos 100000`
const ID = "coord/homogenization";
const config = loadConfig({ env: {}, overrides: {} });
const HALF_LIFE = config.feed.exposureHalfLifeMs;

/** A clock of either kind whose time the test sets (the merge decays by the time between summaries). */
function testClock(kind: "wall" | "virtual"): Clock & { at(ms: number): void } {
  let now = 0;
  return {
    kind,
    now: () => now,
    at: (ms) => void (now = ms),
    setTimer(delayMs, cb) {
      const h = setTimeout(cb, delayMs);
      return { cancel: () => clearTimeout(h) };
    },
  };
}

interface Node {
  system: ActorSystem;
  clock: ReturnType<typeof testClock>;
  store: MemoryStateStore;
  /** What the stabilizer published to the read models. */
  published: unknown[];
}

/** An actor system hosting the coordinator as a feed node does (the `coord` kind), with the feed services it reads. */
function node(kind: "wall" | "virtual", store = new MemoryStateStore()): Node {
  const clock = testClock(kind);
  const published: unknown[] = [];
  const readModels = {
    noveltyRate: config.exploration.noveltyRate, maxCategoryShare: 0.5, maxCategoryRun: 3, exposurePenalty: 0,
    publish: (u: unknown) => void published.push(u),
  };
  const feed = { catalog: { size: N }, readModels, homogenization: { stabilizer: { ...config.homogenization }, windowHalfLifeMs: HALF_LIFE } };
  const system = new ActorSystem({
    clock, store, codec: createCodec(), log: silentLogger(), services: { feed }, mailboxCapacity: 100, askTimeoutMs: 60_000,
    passivationIdleMs: 3_600_000, sweepIntervalMs: 0, throughput: 8, dispatchBatch: 10_000,
  });
  system.register(coordinatorKind({ homogenization: homogenizationCoordinator }));
  return { system, clock, store, published };
}

/**
 * A node's summary: `impressions` feed items over the catalog, 30% on a popular head of 2,000 videos (as a
 * serving node at 1,000 GetFeed/s sends every 10 s: ~60k distinct videos of 100k), distinct ids, counts per id.
 */
function summary(seed: number, impressions: number): HomogenizationSummary {
  const rng = createRng(seed);
  const count = new Map<number, number>();
  for (let i = 0; i < impressions; i++) {
    const id = rng.next() < 0.3 ? rng.int(2000) : rng.int(N);
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  const videoIds = [...count.keys()], videoCounts = [...count.values()];
  const categoryCounts = Array.from({ length: 8 }, () => rng.int(impressions / 4));
  return {
    type: "homog.summary", node: "n1", exposures: impressions, distinctVideos: videoIds.length, categoryCounts, videoIds, videoCounts,
    ildSum: impressions / 20, feeds: impressions / 10,
  };
}

/** The former one-shot computation: an id -> count record decayed entry by entry, and a sorted copy for the Gini. */
class Batch {
  readonly exposure: Record<string, number> = {};
  private lastAt = -1;
  merge(s: HomogenizationSummary, now: number): { gini: number; giniExcess: number; coverage: number } {
    if (this.lastAt >= 0 && now > this.lastAt) {
      const k = Math.pow(0.5, (now - this.lastAt) / HALF_LIFE);
      for (const id of Object.keys(this.exposure)) {
        const v = this.exposure[id]! * k;
        if (v < 0.01) delete this.exposure[id];
        else this.exposure[id] = v;
      }
    }
    this.lastAt = now;
    s.videoIds.forEach((id, i) => (this.exposure[String(id)] = (this.exposure[String(id)] ?? 0) + s.videoCounts[i]!));
    const exposed = Object.values(this.exposure);
    const gini = sparseGini(exposed, N);
    return { gini, giniExcess: excessGini(gini, exposed.reduce((a, b) => a + b, 0), N), coverage: exposed.length / N };
  }
}

/** Equal encoded states (the window's 100k-entry lists compared whole, without a diff of them). */
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));

const turn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));
const microtasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

async function samples(n: Node): Promise<HomogenizationSample[]> {
  const r = await n.system.ask<{ samples: HomogenizationSample[] }>(ID, { type: "coord.get-state" });
  return structuredClone(r.samples);
}

/** Tells `s` at clock time `at` and counts the event-loop turns until the coordinator is quiet again. */
async function merge(n: Node, s: HomogenizationSummary, at: number): Promise<number> {
  n.clock.at(at);
  n.system.tell(ID, s);
  await microtasks(); // the dispatch (and a wall-clock merge's first slice) runs in a microtask
  let turns = 0;
  while (!n.system.isQuiet(ID)) {
    turns++;
    await turn();
  }
  return turns;
}

// big summaries (~60k videos), then small ones (a quiet node: the incremental path and its re-sort), then big
const plan: [seed: number, impressions: number][] = [[1, 100_000], [2, 100_000], [3, 60], [4, 40], [5, 100_000], [6, 80_000]];
const AT = (i: number): number => 10_000 * (i + 1);

t.test("homogenization merge - over turns on the wall clock, the same samples and stabilizer moves as at once on virtual time, and the batch figures", async (t) => {
  const wall = node("wall"), virt = node("virtual"), batch = new Batch();
  t.teardown(() => Promise.all([wall.system.stop(), virt.system.stop()]));
  for (const [i, [seed, imp]] of plan.entries()) {
    const s = summary(seed, imp);
    const turns = await merge(wall, s, AT(i));
    t.equal(await merge(virt, s, AT(i)), 0, `summary ${i}: merged at once on virtual time`);
    if (imp >= 80_000) t.ok(turns >= 2, `summary ${i} (${s.distinctVideos} videos): merged over ${turns} turns on the wall clock`);
    const want = batch.merge(s, AT(i));
    const got = (await samples(wall))[i]!;
    t.strictSame({ gini: got.gini, giniExcess: got.giniExcess, coverage: got.coverage }, want, `summary ${i}: the stabilizer's inputs are the batch figures bit for bit`);
  }
  const ws = await samples(wall), vs = await samples(virt);
  t.equal(ws.length, plan.length);
  t.strictSame(ws, vs, "every sample identical (metrics, novelty rate, diversity rules)");
  t.strictSame(wall.published, virt.published, "the same stabilizer settings published");
  t.ok(ws[0]!.gini > 0 && ws[5]!.coverage > 0.5, `realistic figures (Gini ${ws[0]!.gini.toFixed(3)}, coverage ${ws[5]!.coverage.toFixed(3)})`);
});

t.test("homogenization merge - a summary arriving while another merges waits for it and is merged after it", async (t) => {
  const wall = node("wall"), virt = node("virtual");
  t.teardown(() => Promise.all([wall.system.stop(), virt.system.stop()]));
  const a = summary(1, 100_000), b = summary(2, 100_000);
  wall.clock.at(AT(0));
  wall.system.tell(ID, a);
  await microtasks();
  t.notOk(wall.system.isQuiet(ID), "the first merge is still running after its first slice");
  const during = samples(wall); // a query sent meanwhile is answered after the merge, never halfway
  wall.clock.at(AT(1));
  wall.system.tell(ID, b);
  const mid = await during;
  t.equal(mid.length, 1, "the query saw the first merge whole, before the second");
  while (!wall.system.isQuiet(ID)) await turn();
  await merge(virt, a, AT(0));
  await merge(virt, b, AT(1));
  const ws = await samples(wall), vs = await samples(virt);
  t.strictSame(mid[0], vs[0], "the first summary's sample as when merged alone");
  t.strictSame(ws, vs, "both samples as merged one after the other at once");
  t.equal(ws[1]!.at, AT(1), "the second merged at its own time");
});

t.test("homogenization merge - a state stored while a merge runs holds the whole merge, and a coordinator restored from it continues identically", async (t) => {
  const wall = node("wall"), virt = node("virtual");
  const codec = createCodec();
  t.teardown(() => Promise.all([wall.system.stop(), virt.system.stop()]));
  await merge(wall, summary(1, 100_000), AT(0));
  await merge(virt, summary(1, 100_000), AT(0));
  // a checkpoint taken halfway through the next merge (a shard hand-off that timed out waiting for quiet)
  wall.clock.at(AT(1));
  wall.system.tell(ID, summary(2, 100_000));
  await microtasks();
  t.notOk(wall.system.isQuiet(ID), "the merge is in flight");
  const stored = await wall.system.snapshotState(ID);
  t.ok(stored !== undefined, "a snapshot");
  await merge(virt, summary(2, 100_000), AT(1));
  const want = await virt.system.snapshotState(ID);
  t.ok(sameBytes(stored, want), "the stored state is the state after the whole merge, byte for byte");
  while (!wall.system.isQuiet(ID)) await turn();
  t.strictSame(await samples(wall), await samples(virt), "the merge in flight completed once (no second sample, the same figures)");
  // a coordinator re-activated elsewhere from that state: a small summary (the window re-sorts with ids), then big ones
  const store = new MemoryStateStore();
  store.put(ID, stored!);
  const restored = node("wall", store);
  t.teardown(() => restored.system.stop());
  for (const [i, [seed, imp]] of plan.slice(2).entries()) {
    await merge(restored, summary(seed, imp), AT(i + 2));
    await merge(virt, summary(seed, imp), AT(i + 2));
  }
  const rs = await samples(restored), vs = await samples(virt);
  t.equal(rs.length, plan.length, "the restored samples continue the stored ones");
  t.strictSame(rs, vs, "every later sample identical to the coordinator that never stopped");
  t.ok(sameBytes(await restored.system.snapshotState(ID), await virt.system.snapshotState(ID)), "the same stored state");
  const st = codec.decode((await restored.system.snapshotState(ID))!) as { exposure: { ids: number[] } };
  t.ok(st.exposure.ids.length > 50_000, `a catalog-sized window (${st.exposure.ids.length} videos)`);
});

/** Summary `s` as node `nodeId`'s. */
const from = (nodeId: string, s: HomogenizationSummary): HomogenizationSummary => ({ ...s, node: nodeId });

/** What one node would send for the exposures of all of `parts`: one entry per video, its counts summed. */
function oneNode(...parts: HomogenizationSummary[]): HomogenizationSummary {
  const count = new Map<number, number>();
  for (const p of parts) p.videoIds.forEach((id, i) => count.set(id, (count.get(id) ?? 0) + p.videoCounts[i]!));
  return {
    type: "homog.summary", node: "n1", exposures: parts.reduce((a, p) => a + p.exposures, 0), distinctVideos: count.size,
    categoryCounts: parts[0]!.categoryCounts.map((_, k) => parts.reduce((a, p) => a + p.categoryCounts[k]!, 0)),
    videoIds: [...count.keys()], videoCounts: [...count.values()],
    ildSum: parts.reduce((a, p) => a + p.ildSum, 0), feeds: parts.reduce((a, p) => a + p.feeds, 0),
  };
}

t.test("homogenization merge - several nodes: one merge, one sample and one stabilizer step per round of their flushes, as one node sending it all", async (t) => {
  const two = node("virtual"), one = node("virtual");
  t.teardown(() => Promise.all([two.system.stop(), one.system.stop()]));
  const p = (seed: number) => summary(seed, 20_000);
  // nodes are known once they report: the first summary is a round of its own (the only node known)
  await merge(two, from("n1", p(1)), AT(0));
  await merge(one, p(1), AT(0));
  t.equal((await samples(two)).length, 1, "the first node's first summary: merged at once");
  await merge(two, from("n2", p(2)), AT(0));
  t.equal((await samples(two)).length, 1, "the second node's summary waits for the first node's next");
  await merge(two, from("n1", p(3)), AT(1));
  await merge(one, oneNode(p(2), p(3)), AT(1));
  t.equal((await samples(two)).length, 2, "which ends the round: one sample for both");
  await merge(two, from("n2", p(4)), AT(1));
  await merge(two, from("n1", p(5)), AT(2));
  await merge(one, oneNode(p(4), p(5)), AT(2));
  // n2 has nothing to send for a while; n1's second summary ends the round it held up
  await merge(two, from("n1", p(6)), AT(3));
  t.equal((await samples(two)).length, 3, "a round waits for the silent node...");
  await merge(two, from("n1", p(7)), AT(4));
  await merge(one, oneNode(p(6), p(7)), AT(4));
  t.equal((await samples(two)).length, 4, "...until the other node's next summary");
  // the silent node is not waited for again until it reports
  await merge(two, from("n1", p(8)), AT(5));
  await merge(one, p(8), AT(5));
  t.equal((await samples(two)).length, 5, "then a round of the node still reporting ends at its summary");
  await merge(two, from("n2", p(9)), AT(5));
  await merge(two, from("n1", p(10)), AT(6));
  await merge(one, oneNode(p(9), p(10)), AT(6));
  const ts = await samples(two), os = await samples(one);
  t.equal(ts.length, 6, "and a node that reports again is waited for again: six rounds, six samples");
  t.strictSame(ts, os, "each round's sample is the one node's sample of the same exposures, bit for bit");
  t.strictSame(two.published, one.published, "the stabilizer stepped once per round, as for one node");
  t.ok(two.published.length >= 1, `the stabilizer published (${two.published.length} settings)`);
  // a round in progress holds one summary's worth of videos, whatever the number of nodes in it
  const three = node("virtual");
  t.teardown(() => three.system.stop());
  for (const n of ["n1", "n2", "n3"]) await merge(three, from(n, p(11)), AT(0));
  await merge(three, from("n1", p(11)), AT(1)); // ends the round of n2, n3 and n1: all three are waited for
  await merge(three, from("n1", p(12)), AT(2));
  await merge(three, from("n2", p(13)), AT(2));
  const held = createCodec().decode((await three.system.snapshotState(ID))!) as { pending: HomogenizationSummary };
  const distinct = new Set([...p(12).videoIds, ...p(13).videoIds]).size;
  t.equal(held.pending.videoIds.length, distinct, `two nodes' summaries held as one: ${held.pending.videoIds.length} videos, each once`);
});

t.test("homogenization merge - one node: every summary is merged at once, and a state saved before the rounds existed is restored", async (t) => {
  const a = node("virtual");
  t.teardown(() => a.system.stop());
  await merge(a, summary(1, 20_000), AT(0));
  t.equal((await samples(a)).length, 1, "one node: a sample per summary");
  // the state as stored before the coordinator kept rounds (no nodes, reported or pending fields)
  const codec = createCodec();
  const old = codec.decode((await a.system.snapshotState(ID))!) as Record<string, unknown>;
  for (const k of ["nodes", "reported", "pending"]) delete old[k];
  const store = new MemoryStateStore();
  store.put(ID, codec.encode(old));
  const b = node("virtual", store);
  t.teardown(() => b.system.stop());
  await merge(b, summary(2, 20_000), AT(1));
  await merge(a, summary(2, 20_000), AT(1));
  t.equal((await samples(b)).length, 2, "the restored coordinator merged the next summary");
  t.strictSame(await samples(b), await samples(a), "as the coordinator that never stopped");
});
