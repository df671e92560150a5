import type { Logger } from "pino";
import { actorId, hash32, type VideoStats } from "../protocols/index.ts";
import { VirtualClock, driveVirtual, simSessionActor, videoActor, type SimParams } from "../actors/index.ts";
import { createEmbeddedNode } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { createProgress } from "./progress.ts";

/** The JSON summary line `fyp simulate` prints. */
export interface SimulationSummary {
  seed: number;
  sessions: number;
  videos: number;
  watches: number;
  watchMs: number;
  completions: number;
  virtualMs: number;
  wallMs: number;
  realTimeFactor: number;
  eventsPerSec: number;
  messages: number;
  timerEvents: number;
  peakActiveActors: number;
  passivations: number;
  reactivations: number;
  failedMessages: number;
  bytesPerSession: number;
  checksum: string;
}

/**
 * N sessions and M videos as actors exchanging watch messages in virtual (or wall) time: the placeholder
 * main job until the feed pipeline lands. Same config + seed -> same summary (except wall figures).
 */
export async function runSimulation(config: Readonly<Config>, log: Logger): Promise<SimulationSummary> {
  const sim = config.simulate;
  const clock = new VirtualClock({ seed: sim.seed });
  let left = 0;
  const params: SimParams = {
    seed: sim.seed,
    videos: sim.videos,
    watchesPerSession: sim.watchesPerSession,
    thinkTimeMs: sim.thinkTimeMs,
    onLeave: () => void left++,
  };
  const node = createEmbeddedNode({
    config, clock, log, kinds: [simSessionActor, videoActor], services: { sim: params }, storage: "ephemeral",
  });
  const { system } = node;
  const progress = createProgress({
    label: "simulate", total: sim.sessions, log, everyMs: sim.progressEveryMs, enabled: sim.progress,
  });
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakActive = 0;
  let peakHeap = heapBefore;
  const wallStart = performance.now();

  // Arrivals are timers too, so a million sessions are not all active at once.
  const arrivalRng = clock.rng.fork("arrivals");
  for (let i = 0; i < sim.sessions; i++) {
    const at = Math.floor(arrivalRng.next() * sim.arrivalWindowMs);
    const id = actorId("session", "u" + i);
    clock.setTimer(at, () => system.tell(id, { type: "session.start", at: clock.now() }));
  }
  const fired = await driveVirtual(system, clock, {
    everyEvents: 50_000,
    onProgress: () => {
      const st = system.stats();
      if (st.active > peakActive) peakActive = st.active;
      const h = process.memoryUsage().heapUsed;
      if (h > peakHeap) peakHeap = h;
      progress.update(left, { active: st.active, vt: `${Math.round(clock.now() / 1000)}s` });
    },
  });
  progress.update(left);
  progress.stop();
  const virtualMs = clock.now();
  const wallMs = performance.now() - wallStart;
  const stPeak = system.stats();
  peakActive = Math.max(peakActive, stPeak.active);

  // Collect every video's counters with ask: totals and a checksum that pins the run's outcome.
  let watches = 0, watchMs = 0, completions = 0;
  let checksum = 0x811c9dc5;
  for (let v = 0; v < sim.videos; v++) {
    const p = system.ask<VideoStats>(actorId("video", "v" + v), { type: "video.get-stats" });
    system.runReady();
    const s = await p;
    watches += s.impressions;
    watchMs += s.watchMs;
    completions += s.completions;
    checksum = Math.imul(checksum ^ hash32(`${v}:${s.impressions}:${s.watchMs}:${s.completions}`), 0x01000193) >>> 0;
  }
  const st = system.stats();
  await node.close();
  const sessionsPeak = Math.max(1, peakActive);
  return {
    seed: sim.seed,
    sessions: sim.sessions,
    videos: sim.videos,
    watches,
    watchMs,
    completions,
    virtualMs,
    wallMs: Math.round(wallMs),
    realTimeFactor: round(virtualMs / Math.max(1, wallMs)),
    eventsPerSec: Math.round(st.processed / (wallMs / 1000)),
    messages: st.processed,
    timerEvents: fired,
    peakActiveActors: peakActive,
    passivations: st.passivations,
    reactivations: st.reactivations,
    failedMessages: st.failed,
    bytesPerSession: Math.round(Math.max(0, peakHeap - heapBefore) / sessionsPeak),
    checksum: checksum.toString(16).padStart(8, "0"),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
