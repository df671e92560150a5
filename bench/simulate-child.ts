/**
 * One big simulation in a process of its own (so its peak RSS is its own): prints one JSON line with the
 * summary, the peak RSS, the RSS before the first arrival (catalog, index, models: the fixed part), the
 * bytes per concurrent session above it, and the live heap (after a full collection) per concurrent session.
 * Args: SESSIONS VIDEOS UNTIL_MS (0 = run to the end) [PROFILE] [ARRIVAL_WINDOW_MS (- = the config's)] [OVERRIDES_JSON]
 * [NATS_URL] (e.g. '{"retrieval.reusePages":1}': config overrides on top, for the throughput knobs; with NATS_URL and
 * simulate.workers > 1 the nodes are processes meeting over NATS, and the CPU figures are this process's only).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { silentLogger } from "../cluster/index.ts";
import { loadConfig } from "../configs/index.ts";
import { runSimulation, type SimulationObserver } from "../loadtest/index.ts";

const [sessions, videos, untilMs, profile, windowArg, extra, natsUrl] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? "small", process.argv[6], process.argv[7], process.argv[8]];
const windowMs = windowArg === "-" ? undefined : windowArg;
const config = loadConfig({
  profile, env: {},
  overrides: {
    "simulate.sessions": sessions, "simulate.videos": videos, "simulate.progress": false, "storage.stateStore": "memory",
    ...(windowMs !== undefined ? { "simulate.arrivalWindowMs": Number(windowMs) } : {}),
    ...(extra !== undefined ? (JSON.parse(extra) as Record<string, unknown>) : {}),
  },
});
// A collector for two measurements only (before the first arrival, at the horizon); not global.gc, which
// would make runSimulation collect at every new peak of active actors.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;
let baseRssBytes = 0, baseHeapBytes = 0, liveHeapBytes = 0;
// CPU time of the run (all threads of the process, GC included): on a shared machine the wall-time rate
// says how much CPU the run got as much as how fast it is; the CPU-time rate is steadier
let cpuStart = process.cpuUsage(), cpuRun = { user: 0, system: 0 };
// reads memory once the node is built and before anyone arrives, and at the horizon; changes nothing in the run
const observer: SimulationObserver = {
  attach: () => {
    cpuStart = process.cpuUsage();
    baseRssBytes = process.memoryUsage().rss;
    collect();
    baseHeapBytes = process.memoryUsage().heapUsed;
  },
  trace: () => undefined, item: () => undefined, feed: () => undefined, session: () => undefined,
  finish: () => {
    cpuRun = process.cpuUsage(cpuStart);
    collect();
    liveHeapBytes = process.memoryUsage().heapUsed;
  },
};
const t0 = performance.now();
// a parallel run takes no observer (its nodes are in worker threads): its CPU time counts from when every
// worker's node is built (all threads of the process), and the memory figures are the main thread's
const parallel = config.simulate.workers > 1;
const onReady = (): void => void (cpuStart = process.cpuUsage());
const res = await runSimulation(config, silentLogger(), { ...(untilMs > 0 ? { untilMs } : {}), ...(parallel ? { onReady } : { observer }), ...(natsUrl !== undefined ? { nats: { servers: natsUrl } } : {}) });
if (parallel) cpuRun = process.cpuUsage(cpuStart);
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
const arrived = untilMs > 0 ? Math.min(1, untilMs / Math.max(1, config.simulate.arrivalWindowMs)) : 1;
const concurrent = Math.max(1, res.summary.peakConcurrentSessions);
process.stdout.write(
  JSON.stringify({
    summary: res.summary, ...(res.nodes !== undefined ? { nodes: res.nodes } : {}), maxRssBytes, baseRssBytes, arrivedUsers: Math.round(arrived * sessions),
    peakConcurrentSessions: res.summary.peakConcurrentSessions,
    bytesPerConcurrentSession: Math.round((maxRssBytes - baseRssBytes) / concurrent),
    baseHeapBytes, liveHeapBytes, liveHeapBytesPerSession: Math.round((liveHeapBytes - baseHeapBytes) / concurrent),
    bytesPerSession: Math.round(maxRssBytes / sessions), wallMs: Math.round(performance.now() - t0),
    cpuMs: Math.round((cpuRun.user + cpuRun.system) / 1000),
    eventsPerCpuSec: Math.round(res.summary.items / Math.max(1e-3, (cpuRun.user + cpuRun.system) / 1e6)),
  }) + "\n",
);
