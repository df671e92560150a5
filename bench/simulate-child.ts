/**
 * One big simulation in a process of its own (so its peak RSS is its own): prints one JSON line with the
 * summary, the peak RSS and the share of sessions that had arrived by the virtual horizon.
 * Args: SESSIONS VIDEOS UNTIL_MS (0 = run to the end) [PROFILE]
 */
import { silentLogger } from "../cluster/index.ts";
import { loadConfig } from "../configs/index.ts";
import { runSimulation } from "../loadtest/index.ts";

const [sessions, videos, untilMs, profile] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? "small"];
const config = loadConfig({ profile, env: {}, overrides: { "simulate.sessions": sessions, "simulate.videos": videos, "simulate.progress": false, "storage.stateStore": "memory" } });
const t0 = performance.now();
const res = await runSimulation(config, silentLogger(), untilMs > 0 ? { untilMs } : {});
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
const arrived = untilMs > 0 ? Math.min(1, untilMs / Math.max(1, config.simulate.arrivalWindowMs)) : 1;
process.stdout.write(
  JSON.stringify({
    summary: res.summary, maxRssBytes, arrivedUsers: Math.round(arrived * sessions), bytesPerSession: Math.round(maxRssBytes / sessions),
    bytesPerArrivedSession: Math.round(maxRssBytes / Math.max(1, arrived * sessions)), wallMs: Math.round(performance.now() - t0),
  }) + "\n",
);
