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

const turn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

t.test("engagement aggregator - on the wall clock a big flush goes out in later turns: the summaries, then 500 video messages per step", async (t) => {
  const n = nodeWithImpressions(new WallClock());
  t.teardown(() => n.close());
  const homog = (): Promise<{ samples: unknown[] }> => n.system.ask("coord/homogenization", { type: "coord.get-state" }, 5000) as Promise<{ samples: unknown[] }>;
  t.equal((await homog()).samples.length, 0, "no summary merged yet");
  const base = delivered(n);
  n.feed.aggregator.flush();
  t.equal(delivered(n) - base, 0, "the flush's own turn sends nothing");
  await turn();
  t.equal(delivered(n) - base, 1, "the next turn: the homogenization summary alone (no watches: no cohort or integrity messages)");
  t.equal((await homog()).samples.length, 1, "merged in a turn of its own");
  // the video steps (10 of 500) are paced by timers: every turn in between sees a step's multiple, never more
  const seen = new Set<number>();
  let done = false;
  void n.feed.aggregator.whenSent().then(() => (done = true));
  while (!done) {
    seen.add(delivered(n) - base - 2); // minus the summary and the ask above
    await turn();
  }
  t.equal(delivered(n) - base - 2, 5000, "all 5,000 video messages");
  t.ok([...seen].every((k) => k % 500 === 0), `only whole steps between turns (${[...seen].join(",")})`);
  t.ok(seen.size >= 8, `spread over many turns (${seen.size} distinct counts)`);
});

t.test("engagement aggregator - stop() sends what a spread flush has left", async (t) => {
  const n = nodeWithImpressions(new WallClock());
  t.teardown(() => n.close());
  const before = delivered(n);
  n.feed.aggregator.flush();
  await turn();
  t.equal(delivered(n) - before, 1, "one turn sent the summary");
  let done = false;
  void n.feed.aggregator.whenSent().then(() => (done = true));
  n.feed.aggregator.stop();
  t.equal(delivered(n) - before, 5001, "the 5,000 video messages at once");
  await turn();
  t.ok(done, "whenSent() resolves");
});

t.test("engagement aggregator - a virtual-time flush sends every message at once, as before", async (t) => {
  const n = nodeWithImpressions(new VirtualClock({ seed: 1 }));
  t.teardown(() => n.close());
  const before = delivered(n);
  n.feed.aggregator.flush();
  t.ok(delivered(n) - before >= 5000, `all 5,000 video messages in the flush itself (${delivered(n) - before})`);
});

t.test("engagement aggregator - the next window counts while a spread flush is still sending the last: every video gets both windows' sums, once", async (t) => {
  const n = nodeWithImpressions(new WallClock());
  t.teardown(() => n.close());
  const agg = n.feed.aggregator;
  agg.flush(); // window 1: one impression each for videos 0..4999, going out over later turns
  await turn();
  // window 2, while window 1 is still going out: two more impressions each for videos 0..299 (a window small
  // enough to go out at once, so only the flush itself can make window 1 finish first)
  for (let v = 0; v < 300; v += 10) {
    const items = Array.from({ length: 10 }, (_, i) => ({ videoId: v + i, category: 0 }));
    agg.recordServed(items, 0.5);
    agg.recordServed(items, 0.5);
  }
  agg.flush(); // sends the rest of window 1 first, then window 2
  // window 3 counts into the buffer window 1 used: it must be empty by now
  agg.recordServed([{ videoId: 4000, category: 0 }], 0.5);
  agg.flush();
  let done = false;
  void agg.whenSent().then(() => (done = true));
  while (!done) await turn(); // the steps' timers are unref'd (background work): turns keep this test's loop alive
  const stats = (v: number): Promise<{ impressions: number }> => n.system.ask(`video/v${v}`, { type: "video.get-stats" }, 5000) as Promise<{ impressions: number }>;
  const got = await Promise.all([0, 9, 299, 300, 4000, 4999, 5000].map(stats));
  t.same(got.map((s) => s.impressions), [3, 3, 3, 1, 2, 1, 0], "window 1 (1 each) + window 2 (2 each for 0..299) + window 3 (v4000); 5000 never served");
});
