import t from "tap";
import { createCodec, type IntegrityEngagements } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, coordinatorKind, integrityCoordinator, type Clock } from "../../actors/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { silentLogger } from "../../cluster/index.ts";

/**
 * coord/integrity receiving the engagement batches of one or several nodes (each node's aggregator sends
 * one per flush): when it runs its detection passes, and which events are still in its window.
 */
const ID = "coord/integrity";
const config = loadConfig({ env: {}, overrides: {} });
// a burst factor of 1: a cell dense enough in sessions counts whatever the video's rate over the window
const FARM = { ...config.integrity.farm, burstFactor: 1 };
/** The window of events kept, as a feed node sets it (5 farm windows). */
const KEEP_MS = FARM.windowMs * 5;

interface State {
  flaggedSessions: number;
  detections: number;
}

function node() {
  let now = 0;
  const clock: Clock = {
    kind: "virtual",
    now: () => now,
    setTimer: () => ({ cancel: () => undefined }),
  };
  const published: { type: string }[] = [];
  const feed = { farmDetector: FARM, integrity: { farmWindowMs: KEEP_MS }, readModels: { publish: (u: { type: string }) => void published.push(u) } };
  const system = new ActorSystem({
    clock, store: new MemoryStateStore(), codec: createCodec(), log: silentLogger(), services: { feed }, mailboxCapacity: 100, askTimeoutMs: 60_000,
    passivationIdleMs: 3_600_000, sweepIntervalMs: 0, throughput: 8, dispatchBatch: 10_000,
  });
  system.register(coordinatorKind({ integrity: integrityCoordinator }));
  return {
    published,
    at: (ms: number) => void (now = ms),
    async send(batch: IntegrityEngagements): Promise<void> {
      system.tell(ID, batch);
      await system.whenIdle();
    },
    async state(): Promise<State> {
      const p = system.ask<State>(ID, { type: "coord.get-state" });
      system.runReady();
      return p;
    },
  };
}

type Event = [session: string, video: number, t: number];
const batch = (nodeId: string, events: Event[]): IntegrityEngagements => ({
  type: "integrity.engagements", node: nodeId, sessions: events.map((e) => e[0]), videos: events.map((e) => e[1]), times: events.map((e) => e[2]),
});

/** Six sessions completing the same three videos within seconds of each other, at `t`: a farm. */
function farm(t0: number): Event[] {
  const out: Event[] = [];
  for (let s = 0; s < 6; s++) for (let v = 0; v < 3; v++) out.push([`session/bot-${s}`, 900 + v, t0 + s * 1000 + v * 100]);
  return out;
}

t.test("integrity coordinator - one node: a detection pass per batch", async (t) => {
  const n = node();
  for (let k = 1; k <= 3; k++) {
    n.at(k * 10_000);
    await n.send(batch("n0", [[`session/u${k}`, k, k * 10_000 - 1]]));
    t.equal((await n.state()).detections, k, `batch ${k}: pass ${k}`);
  }
});

t.test("integrity coordinator - several nodes: a pass per round of their batches, not one per batch", async (t) => {
  const n = node();
  const sends: [string, number][] = [["a", 1], ["b", 1], ["a", 2], ["b", 2], ["a", 3], ["b", 3]];
  const passes: number[] = [];
  for (const [id, k] of sends) {
    n.at(k * 10_000);
    await n.send(batch(id, [[`session/${id}${k}`, k, k * 10_000 - 1]]));
    passes.push((await n.state()).detections);
  }
  // a's first batch: the only node known, a pass; b's first: a has not reported since; then a pass at each
  // round's second batch
  t.same(passes, [1, 1, 2, 2, 3, 3]);
  // a node with nothing to send holds the others up for one flush at most: a's second batch since the last
  // pass runs one
  n.at(40_000);
  await n.send(batch("a", [["session/a4", 4, 39_999]]));
  t.equal((await n.state()).detections, 4, "a's 4th batch completes the round b's 3rd began");
  n.at(50_000);
  await n.send(batch("a", [["session/a5", 5, 49_999]]));
  t.equal((await n.state()).detections, 4, "a's 5th waits for b's");
  n.at(60_000);
  await n.send(batch("a", [["session/a6", 6, 59_999]]));
  t.equal((await n.state()).detections, 5, "b sent nothing for a flush: a's next batch runs the pass");
  // b stayed silent through a round that a's second batch ended: it is not waited for until it reports again
  n.at(70_000);
  await n.send(batch("a", [["session/a7", 7, 69_999]]));
  t.equal((await n.state()).detections, 6, "a's next batch runs a pass at once");
  await n.send(batch("b", [["session/b7", 7, 69_998]]));
  t.equal((await n.state()).detections, 6, "b reports again: its batch waits for a's");
  n.at(80_000);
  await n.send(batch("a", [["session/a8", 8, 79_999]]));
  t.equal((await n.state()).detections, 7, "and a's next one ends the round of both");
});

t.test("integrity coordinator - a farm split over two nodes' batches is found at the round's pass", async (t) => {
  const n = node();
  const now = KEEP_MS;
  n.at(now);
  const events = farm(now - 30_000);
  await n.send(batch("a", [["session/x", 1, now - 40_000], ...events.filter((e) => e[0] < "session/bot-3")]));
  t.match(await n.state(), { detections: 1, flaggedSessions: 0 }, "a's half of the farm alone is no farm");
  await n.send(batch("b", [["session/y", 2, now - 1_000], ...events.filter((e) => e[0] >= "session/bot-3")]));
  t.match(await n.state(), { detections: 1, flaggedSessions: 0 }, "b's half waits for the round's pass");
  n.at(now + 10_000);
  await n.send(batch("a", [["session/z", 3, now + 9_000]]));
  const s = await n.state();
  t.equal(s.detections, 2);
  t.equal(s.flaggedSessions, 6, "the pass over both nodes' batches flags the six bots");
  t.ok(n.published.some((u) => u.type === "flag.video"), "their videos are flagged too");
});

t.test("integrity coordinator - an event older than the window does not count, whichever node's batch brought it late", async (t) => {
  // the same farm, once inside the kept window and once just outside it, both arriving in node b's batch
  // behind node a's newer events
  for (const inside of [true, false]) {
    const n = node();
    const now = 3 * KEEP_MS;
    n.at(now);
    const t0 = inside ? now - KEEP_MS + 60_000 : now - KEEP_MS - 20_000;
    await n.send(batch("a", [["session/x", 1, now - KEEP_MS + 50_000], ["session/y", 2, now - 500]]));
    await n.send(batch("b", [["session/z", 3, now - 600], ...farm(t0)]));
    n.at(now + 10_000);
    await n.send(batch("a", [["session/v", 4, now + 9_000]]));
    const s = await n.state();
    if (inside) t.equal(s.flaggedSessions, 6, "inside the window: the farm is flagged");
    else t.equal(s.flaggedSessions, 0, "outside the window: its events were dropped, though newer ones came in before them");
  }
});
