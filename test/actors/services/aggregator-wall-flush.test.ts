import t from "tap";
import { loadConfig } from "../../../configs/index.ts";
import { VirtualClock, WallClock, type Clock } from "../../../actors/index.ts";
import { createFeedNode, silentLogger } from "../../../cluster/index.ts";

/** A feed node over 6,000 videos whose aggregator has impressions of 5,000 of them waiting for a flush. */
function nodeWithImpressions(clock: Clock): ReturnType<typeof createFeedNode> {
  const config = loadConfig({ env: {}, overrides: { "simulate.videos": 6000, "storage.stateStore": "memory", "feed.flushMs": 3_600_000 } });
  const n = createFeedNode({ config, clock, log: silentLogger(), storage: "ephemeral" });
  for (let v = 0; v < 5000; v += 10) {
    n.feed.aggregator.recordServed(Array.from({ length: 10 }, (_, i) => ({ videoId: v + i, category: 0 })), 0.5);
  }
  return n;
}

const delivered = (n: ReturnType<typeof createFeedNode>): number => n.system.stats().delivered;

t.test("engagement aggregator - on the wall clock a big flush goes out 2,000 video messages per event-loop turn", async (t) => {
  const n = nodeWithImpressions(new WallClock());
  t.teardown(() => n.close());
  const before = delivered(n);
  n.feed.aggregator.flush();
  const first = delivered(n) - before;
  t.ok(first >= 2000 && first < 2010, `one turn: 2,000 video messages plus the few summaries (${first})`);
  await new Promise<void>((r) => setImmediate(r));
  t.ok(delivered(n) - before >= 4000, "the next turn sends the next 2,000");
  await new Promise<void>((r) => setImmediate(r));
  t.equal(delivered(n) - before, first + 3000, "all 5,000 in three turns");
});

t.test("engagement aggregator - stop() sends what a spread flush has left", async (t) => {
  const n = nodeWithImpressions(new WallClock());
  t.teardown(() => n.close());
  const before = delivered(n);
  n.feed.aggregator.flush();
  const first = delivered(n) - before;
  n.feed.aggregator.stop();
  t.equal(delivered(n) - before, first + 3000, "the remaining 3,000 at once");
});

t.test("engagement aggregator - a virtual-time flush sends every message at once, as before", async (t) => {
  const n = nodeWithImpressions(new VirtualClock({ seed: 1 }));
  t.teardown(() => n.close());
  const before = delivered(n);
  n.feed.aggregator.flush();
  t.ok(delivered(n) - before >= 5000, `all 5,000 video messages in the flush itself (${delivered(n) - before})`);
});
