import t from "tap";
import { loadConfig } from "../../../configs/index.ts";
import { VirtualClock, WallClock, type Clock, type HomogenizationSample } from "../../../actors/index.ts";
import { createFeedNode, silentLogger } from "../../../cluster/index.ts";

/**
 * The homogenization summary a wall-clock flush hands over in a step of its own (built there, from the window
 * being sent) is the one a virtual-time flush builds at once: the same videos and impressions, so the same
 * Gini and coverage at the monitor. Windows: 900 videos served once each (90 feeds; more than a wall-clock
 * flush sends at once), then, while that window still goes out, videos 0..299 twice more (a video of the
 * window being sent counted anew).
 */
const VIDEOS = 3000;

function feedNode(clock: Clock): ReturnType<typeof createFeedNode> {
  const config = loadConfig({ env: {}, overrides: { "simulate.videos": VIDEOS, "storage.stateStore": "memory", "feed.flushMs": 3_600_000 } });
  return createFeedNode({ config, clock, log: silentLogger(), storage: "ephemeral" });
}

const serve = (n: ReturnType<typeof createFeedNode>, from: number, to: number): void => {
  for (let v = from; v < to; v += 10) n.feed.aggregator.recordServed(Array.from({ length: 10 }, (_, i) => ({ videoId: v + i, category: (v + i) % 4 })), 0.5);
};

const turn = (): Promise<void> => new Promise<void>((r) => setImmediate(r));

async function twoWindows(clock: Clock): Promise<HomogenizationSample[]> {
  const n = feedNode(clock);
  try {
    const agg = n.feed.aggregator;
    serve(n, 0, 900);
    agg.flush();
    serve(n, 0, 300);
    serve(n, 0, 300);
    agg.flush(); // the rest of window 1 first (wall clock), then window 2
    let done = false;
    void agg.whenSent().then(() => (done = true));
    while (!done) await turn();
    const r = await n.system.ask<{ samples: HomogenizationSample[] }>("coord/homogenization", { type: "coord.get-state" }, 30_000);
    return r.samples;
  } finally {
    await n.close();
  }
}

t.test("engagement aggregator - the summary handed over in a wall-clock flush's own step carries the window's impressions, as at once on virtual time", async (t) => {
  const wall = await twoWindows(new WallClock());
  const virt = await twoWindows(new VirtualClock({ seed: 1 }));
  t.equal(wall.length, 2, "a summary per window");
  t.equal(virt.length, 2);
  t.same(wall.map((s) => s.exposures), [900, 600], "window 1: 900 impressions; window 2: 600 (videos 0..299 twice)");
  t.same(virt.map((s) => s.exposures), [900, 600]);
  const first = (s: HomogenizationSample): unknown => ({ gini: s.gini, coverage: s.coverage, entropy: s.entropy, exposures: s.exposures });
  t.strictSame(first(wall[0]!), first(virt[0]!), "the first window's figures identical (no decay before it)");
  t.equal(wall[0]!.coverage, 900 / VIDEOS, "900 distinct videos of the catalog");
  // window 2 adds to videos already in the window: coverage unchanged on both clocks (the decay between the
  // two summaries is clock time, milliseconds on the wall clock and none on virtual time, too little to drop any)
  t.equal(wall[1]!.coverage, 900 / VIDEOS);
  t.equal(virt[1]!.coverage, 900 / VIDEOS);
});

t.test("engagement aggregator - a window of more videos than one step reads (8,192) is handed over whole, after its last step", async (t) => {
  const run = async (clock: Clock): Promise<number[]> => {
    const config = loadConfig({ env: {}, overrides: { "simulate.videos": 12_000, "storage.stateStore": "memory", "feed.flushMs": 3_600_000 } });
    const n = createFeedNode({ config, clock, log: silentLogger(), storage: "ephemeral" });
    try {
      const agg = n.feed.aggregator;
      // two windows of 10,000 videos first, one per counting buffer, so both have grown
      for (let w = 0; w < 2; w++) {
        serve(n, 0, 10_000);
        agg.flush();
      }
      serve(n, 0, 9000);
      serve(n, 0, 3000);
      agg.flush();
      let done = false;
      void agg.whenSent().then(() => (done = true));
      while (!done) await turn();
      const r = await n.system.ask<{ samples: HomogenizationSample[] }>("coord/homogenization", { type: "coord.get-state" }, 30_000);
      return r.samples.map((s) => s.exposures);
    } finally {
      await n.close();
    }
  };
  const wall = await run(new WallClock());
  const virt = await run(new VirtualClock({ seed: 1 }));
  t.equal(wall.length, 3, "a summary per window");
  t.equal(wall[2], 12_000, "9,000 videos once and 3,000 of them again: every impression of the 9,000-slot window");
  t.strictSame(wall, virt, "the same summaries as at once on virtual time");
});

t.test("engagement aggregator - a window's counters grow without losing the impression that made them grow", async (t) => {
  // the counters start at 1,024 videos and double: every served item counts, also the 1,025th and 2,049th
  // video's first (recordServed once read the array before making the slot that grew it, and lost one each time)
  for (const clock of [new VirtualClock({ seed: 1 }), new WallClock()] as Clock[]) {
    const config = loadConfig({ env: {}, overrides: { "simulate.videos": 5000, "storage.stateStore": "memory", "feed.flushMs": 3_600_000 } });
    const n = createFeedNode({ config, clock, log: silentLogger(), storage: "ephemeral" });
    try {
      serve(n, 0, 4500);
      n.feed.aggregator.flush();
      let done = false;
      void n.feed.aggregator.whenSent().then(() => (done = true));
      while (!done) await turn();
      const r = await n.system.ask<{ samples: HomogenizationSample[] }>("coord/homogenization", { type: "coord.get-state" }, 30_000);
      t.same(r.samples.map((x) => x.exposures), [4500], `${clock.kind}: 4,500 impressions of 4,500 videos`);
      const stats = await n.system.ask<{ impressions: number }>("video/v1024", { type: "video.get-stats" }, 30_000);
      t.equal(stats.impressions, 1, `${clock.kind}: the 1,025th video's impression reached its actor`);
    } finally {
      await n.close();
    }
  }
});
