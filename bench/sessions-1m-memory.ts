/**
 * Memory probe for issue 9's "1,000,000 concurrent sessions in one process": `fyp simulate` with every session
 * in progress at once (SESSIONS arrive within WINDOW_MS of virtual time and the run stops at WINDOW_MS), the
 * real actor runtime, session and viewer actors, session model, aggregator, coordinators and indexes, but the
 * feed pipeline replaced by a stub that serves `count` catalog videos picked by a hash (marking them served).
 * The real pipeline costs milliseconds per page, so a million first pages take most of an hour on two cores;
 * this measures what a million concurrent sessions weigh, not how fast they are served. Prints one JSON line.
 *   node --max-old-space-size=8192 --import tsx bench/sessions-1m-memory.ts [SESSIONS=1000000] [WINDOW_MS=30000]
 */
import { silentLogger } from "../cluster/index.ts";
import { loadConfig } from "../configs/index.ts";
import { runSimulation, type SimulationObserver } from "../loadtest/index.ts";
import { FeedPipeline, markServed, type FeedCatalog, type ServedItem, type SessionModel, type SessionModelParams } from "../models/index.ts";

const [sessions, windowMs] = [Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 30_000)];

type StubDeps = { d: { catalog: FeedCatalog; session: SessionModelParams } };
FeedPipeline.prototype.feed = async function (this: unknown, session: SessionModel, req: { count: number }) {
  const { catalog, session: params } = (this as StubDeps).d;
  const items: ServedItem[] = [];
  let x = (session.served * 2654435761 + session.feeds * 97 + 13) >>> 0;
  for (let i = 0; i < req.count; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    const id = x % catalog.size;
    markServed(session, params, catalog.get(id)!);
    items.push({ videoId: id, score: 1, reason: "exploring", source: "exploration", exploration: false, predictions: { watchRatio: 0.5, complete: 0.3, rewatch: 0.1, continue: 0.5, skipFast: 0.2 } });
  }
  session.feeds++;
  return { items, modelVersion: "stub" };
};

const config = loadConfig({
  profile: "small", env: {},
  overrides: { "simulate.sessions": sessions, "simulate.videos": 20_000, "simulate.progress": false, "storage.stateStore": "memory", "simulate.arrivalWindowMs": windowMs },
});
let baseRss = 0;
const observer: SimulationObserver = {
  attach: () => void (baseRss = process.memoryUsage().rss),
  trace: () => undefined, item: () => undefined, feed: () => undefined, session: () => undefined, finish: () => undefined,
};
const r = await runSimulation(config, silentLogger(), { untilMs: windowMs, observer });
const maxRss = process.resourceUsage().maxRSS * 1024;
const s = r.summary;
process.stdout.write(JSON.stringify({
  sessions, windowMs, concurrentSessions: s.peakConcurrentSessions, activeActors: s.peakActiveActors, items: s.items, wallMs: s.wallMs,
  baseRssBytes: baseRss, maxRssBytes: maxRss, bytesPerConcurrentSession: Math.round((maxRss - baseRss) / Math.max(1, s.peakConcurrentSessions)),
}) + "\n");
