import type { FeedReply } from "../../protocols/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { WallClock, videoNumber } from "../../actors/index.ts";
import { createFeedNode, silentLogger } from "../../cluster/index.ts";
import { runSimulation } from "../../loadtest/index.ts";
import { round, type Emit } from "../row.ts";

const VIDEOS = Number(process.env.FYP_BENCH_FEED_VIDEOS ?? 100_000);
const SESSIONS = 2_000;
const REQUESTS = 4_000;

/** Full pipeline per request (candidates -> ranking -> exploration -> policy), one core, `small` profile. */
async function feedRequests(emit: Emit): Promise<void> {
  const config = loadConfig({ env: {}, profile: "small", overrides: { "simulate.videos": VIDEOS, "storage.stateStore": "memory" } });
  const t0 = performance.now();
  const node = createFeedNode({ config, clock: new WallClock(), log: silentLogger(), storage: "ephemeral" });
  const buildS = (performance.now() - t0) / 1000;
  const { system, feed } = node;
  // warm each session: one feed, half of it watched, so content/collaborative/trending all have input
  for (let s = 0; s < SESSIONS; s++) {
    const r = await system.ask<FeedReply>(`session/u${s}`, { type: "feed.request", count: 10, at: Date.now() });
    for (const [i, it] of r.items.entries()) {
      if (i % 2 !== 0) continue;
      const v = feed.catalog.get(videoNumber(it.videoId))!;
      system.tell(`session/u${s}`, { type: "session.watch", videoId: it.videoId, watchMs: v.durationMs, durationMs: v.durationMs, at: Date.now() });
    }
  }
  await system.whenIdle();
  const lat = new Float64Array(REQUESTS);
  const start = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await system.ask<FeedReply>(`session/u${i % SESSIONS}`, { type: "feed.request", count: 10, at: Date.now() });
    lat[i] = performance.now() - t;
  }
  const secs = (performance.now() - start) / 1000;
  lat.sort();
  const cfg = { profile: "small", videos: VIDEOS, sessions: SESSIONS, requests: REQUESTS, feedSize: 10, candidates: config.retrieval.candidates, index: VIDEOS > 5_000 ? "hnsw" : "exact", buildS: round(buildS, 1) };
  emit({ name: "feed.requests_per_s", value: Math.round(REQUESTS / secs), unit: "req/s", config: cfg });
  emit({ name: "feed.p50_ms", value: round(lat[Math.floor(REQUESTS * 0.5)]!, 3), unit: "ms", config: cfg });
  emit({ name: "feed.p99_ms", value: round(lat[Math.floor(REQUESTS * 0.99)]!, 3), unit: "ms", config: cfg });
  await node.close();
}

/** Messages per wall second of a default-shaped simulation (virtual time, embedded). */
async function simulateEvents(emit: Emit): Promise<void> {
  const config = loadConfig({ env: {}, overrides: { "simulate.sessions": 1000, "simulate.progress": false, "storage.stateStore": "memory" } });
  const { summary } = await runSimulation(config, silentLogger());
  const cfg = { users: summary.users, videos: summary.videos, items: summary.items, virtualS: Math.round(summary.virtualMs / 1000) };
  emit({ name: "simulate.events_per_s", value: summary.eventsPerSec, unit: "interactions/s", config: cfg });
  emit({ name: "simulate.real_time_factor", value: summary.realTimeFactor, unit: "x", config: cfg });
}

export async function run(emit: Emit): Promise<void> {
  await feedRequests(emit);
  await simulateEvents(emit);
}
