import { getHeapStatistics } from "node:v8";
import { Worker, type MessagePort } from "node:worker_threads";
import type { Logger } from "pino";
import { driveVirtual, driveVirtualEpoch, settleLocal, type HomogenizationSample, type RemoteLink, type ViralSnapshot } from "../actors/index.ts";
import { createLogger } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { errorFromWire, errorMessage, errorToWire, type ReadModelUpdate } from "../protocols/index.ts";

type WireError = ReturnType<typeof errorToWire>;
import { createProgress } from "./progress.ts";
import { SimMetrics, type SimMetricsPart } from "./sim-metrics.ts";
import { ownerOf, setUpSimulation, summarize, type SimNode } from "./sim-node.ts";
import type { SimulationResult } from "./simulate.ts";

/**
 * What crosses between the nodes of a parallel run at an epoch boundary, in the order it was sent: a
 * message for an actor hosted there (an ask carries `corr`, its reply goes back to node `from`), the reply
 * to such an ask, or a read-model update a coordinator published (every other node applies it).
 */
type Crossing =
  | { k: "msg"; to: string; msg: { type: string }; from: number; corr?: number }
  | { k: "reply"; corr: number; ok: boolean; value?: unknown; error?: WireError }
  | { k: "publish"; update: ReadModelUpdate };

/** Main thread -> worker. */
type Command =
  | { t: "step"; untilMs: number; inbound: Crossing[] }
  | { t: "settle"; inbound: Crossing[]; flush: boolean; untilMs: number | undefined }
  | { t: "finish" };

/** Worker -> main thread. */
type Report =
  | { t: "ready" }
  | { t: "stepped"; outbound: Crossing[][]; foreground: number; live: number; active: number; usersDone: number; lastEventMs: number }
  | { t: "result"; part: WorkerResult }
  | { t: "failed"; error: WireError; node: number };

interface WorkerResult {
  metrics: SimMetricsPart;
  filterBubble: { sum: number; n: number };
  fired: number;
  failed: number;
  processed: number;
  dropped: number;
  uploads: number;
  noveltyRate: number;
  catalogSize: number;
  finalCatalogSize: number;
  farmTargets: number[];
  viral?: ViralSnapshot;
  homogenization?: HomogenizationSample[];
  integrity?: SimulationResult["integrity"];
}

export interface WorkerData {
  config: Config;
  index: number;
  count: number;
  logLevel: string;
}

/**
 * `simulate.workers` > 1: the run split over worker threads, each a node of the recommender hosting a share
 * of the viewers (by key) and of the other actors (by id), each with its own node-level state (candidate
 * indexes, trending, bandit, aggregation), as the nodes of a cluster have. They run in lockstep on virtual
 * time: every node runs an epoch (`simulate.epochMs`) on its own, then what it sent to the others (messages,
 * replies, published read-model updates) is delivered to them at the epoch's end, in node order. So a run
 * repeats for a config + seed + worker count; it is not the one-node run (messages between nodes arrive up
 * to an epoch late, and each node learns only from its own viewers, as in a cluster).
 */
export async function runParallelSimulation(config: Readonly<Config>, log: Logger, opts: { untilMs?: number; onReady?: () => void } = {}): Promise<SimulationResult> {
  const sim = config.simulate;
  const count = sim.workers;
  const untilMs = opts.untilMs;
  const progress = createProgress({ label: "simulate", total: sim.sessions, log, everyMs: sim.progressEveryMs, enabled: sim.progress });
  const workers = Array.from({ length: count }, (_, index) => startWorker({ config: structuredClone(config) as Config, index, count, logLevel: log.level }));
  try {
    for (const r of await Promise.all(workers.map((w) => w.next()))) expect(r, "ready");
    opts.onReady?.();
    const wallStart = performance.now();
    let inbound: Crossing[][] = workers.map(() => []);
    let peakLive = 0, peakActive = 0, lastEventMs = 0, lastProgress = 0, epochs = 0, crossings = 0;
    const route = (reports: Extract<Report, { t: "stepped" }>[]): number => {
      const next: Crossing[][] = workers.map(() => []);
      let n = 0;
      for (const r of reports) {
        r.outbound.forEach((list, to) => {
          for (const c of list) next[to]!.push(c);
          n += list.length;
        });
      }
      inbound = next;
      crossings += n;
      return n;
    };
    const round = async (cmd: (w: number) => Command): Promise<{ crossings: number; foreground: number }> => {
      const reports = await Promise.all(workers.map((w, i) => w.send(cmd(i)).then(() => w.next())));
      const stepped = reports.map((r) => expect(r, "stepped"));
      let live = 0, active = 0, usersDone = 0, foreground = 0;
      for (const r of stepped) {
        live += r.live;
        active += r.active;
        usersDone += r.usersDone;
        foreground += r.foreground;
        lastEventMs = Math.max(lastEventMs, r.lastEventMs);
      }
      peakLive = Math.max(peakLive, live);
      peakActive = Math.max(peakActive, active);
      const now = performance.now();
      if (now - lastProgress >= sim.progressEveryMs) {
        lastProgress = now;
        progress.update(usersDone, { active, vt: `${Math.round(lastEventMs / 1000)}s` });
      }
      return { crossings: route(stepped), foreground };
    };
    // epochs until nothing is due anywhere and nothing is on its way between nodes
    for (let t = 0; ; ) {
      t = untilMs === undefined ? t + sim.epochMs : Math.min(untilMs, t + sim.epochMs);
      const untilEpoch = t;
      const r = await round((i) => ({ t: "step", untilMs: untilEpoch, inbound: inbound[i]! }));
      epochs++;
      if ((r.foreground === 0 && r.crossings === 0) || (untilMs !== undefined && t >= untilMs)) break;
    }
    // the last window of counters, and what it sets off, to quiescence (as the one-node run does)
    let flush = true;
    for (;;) {
      const first = flush;
      const r = await round((i) => ({ t: "settle", inbound: inbound[i]!, flush: first, untilMs }));
      flush = false;
      // each node ran its due timers (up to the horizon, if any): done when nothing more crossed
      if (r.crossings === 0) break;
    }
    const wallMs = performance.now() - wallStart;
    const parts = await Promise.all(workers.map((w) => w.send({ t: "finish" }).then(() => w.next())));
    const results = parts.map((p) => expect(p, "result").part);
    progress.update(results.reduce((s, r) => s + r.metrics.counters.usersDone, 0));
    progress.stop();
    return { ...combine(config, results, { wallMs, virtualMs: lastEventMs, peakLive, peakActive }), nodes: { epochs, crossings, items: results.map((r) => r.metrics.counters.items) } };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

/** The parts' figures put together into one run's result. */
function combine(config: Readonly<Config>, results: WorkerResult[], run: { wallMs: number; virtualMs: number; peakLive: number; peakActive: number }): SimulationResult {
  const first = results[0]!;
  const metrics = new SimMetrics(0, 1, new Set());
  for (const r of results) metrics.absorb(r.metrics);
  metrics.farmImpressionTimes.sort((a, b) => a - b);
  metrics.peakLiveSessions = run.peakLive;
  const one = <T>(pick: (r: WorkerResult) => T | undefined, what: string): T => {
    for (const r of results) {
      const v = pick(r);
      if (v !== undefined) return v;
    }
    throw new Error(`no worker hosted ${what}`);
  };
  const viral = one((r) => r.viral, "coord/viral");
  const homogenization = one((r) => r.homogenization, "coord/homogenization");
  const integrity = one((r) => r.integrity, "coord/integrity");
  const bubble = results.reduce((s, r) => ({ sum: s.sum + r.filterBubble.sum, n: s.n + r.filterBubble.n }), { sum: 0, n: 0 });
  const summary = summarize(config, {
    metrics, catalogSize: first.catalogSize, finalCatalogSize: first.finalCatalogSize, uploads: first.uploads, viral, integrity, homogenization,
    noveltyRate: first.noveltyRate, filterBubble: bubble.n === 0 ? 0 : bubble.sum / bubble.n,
    failed: results.reduce((s, r) => s + r.failed + r.dropped, 0), processed: results.reduce((s, r) => s + r.processed, 0),
    fired: results.reduce((s, r) => s + r.fired, 0), virtualMs: run.virtualMs, wallMs: run.wallMs, peakActive: run.peakActive,
    heapBytesPerActor: null, workers: results.length,
  });
  return {
    summary,
    homogenization,
    viral,
    integrity,
    farmTargets: first.farmTargets,
    farmImpressionTimes: metrics.farmImpressionTimes,
    impressionsPerMinute: [...metrics.impressionsPerMinute].map((x) => x ?? 0),
  };
}

function expect<T extends Report["t"]>(r: Report, t: T): Extract<Report, { t: T }> {
  // the node's error as it was (its code, e.g. a missing model's NOT_FOUND), naming the node
  if (r.t === "failed") throw errorFromWire({ ...r.error, message: `simulation node ${r.node}: ${r.error.message}` });
  if (r.t !== t) throw new Error(`simulation worker sent "${r.t}", expected "${t}"`);
  return r as Extract<Report, { t: T }>;
}

interface WorkerHandle {
  send(c: Command): Promise<void>;
  /** The worker's next report (rejects if it exits or fails first). */
  next(): Promise<Report>;
  stop(): Promise<void>;
}

/**
 * Starts one worker thread. Under tsx (the sources run as .ts) the thread registers tsx before importing
 * the entry; a built tree runs the .js entry directly.
 */
function startWorker(data: WorkerData): WorkerHandle {
  const entry = new URL(import.meta.url.endsWith(".ts") ? "./sim-worker.ts" : "./sim-worker.js", import.meta.url);
  const maxOldGenerationSizeMb = Math.floor(getHeapStatistics().heap_size_limit / 2 ** 20);
  const worker = entry.pathname.endsWith(".ts")
    ? // tsx resolved from here, not from the working directory the eval'd bootstrap would resolve it from
      new Worker(`import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`, {
        eval: true, workerData: data, resourceLimits: { maxOldGenerationSizeMb },
      })
    : new Worker(entry, { workerData: data, resourceLimits: { maxOldGenerationSizeMb } });
  const queue: Report[] = [];
  let waiting: { resolve: (r: Report) => void; reject: (e: Error) => void } | null = null;
  let ended: Error | null = null;
  worker.on("message", (r: Report) => {
    if (waiting !== null) {
      const w = waiting;
      waiting = null;
      w.resolve(r);
    } else queue.push(r);
  });
  const end = (e: Error): void => {
    ended ??= e;
    if (waiting !== null) {
      const w = waiting;
      waiting = null;
      w.reject(e);
    }
  };
  worker.on("error", (e) => end(e));
  worker.on("exit", (code) => end(new Error(`simulation worker ${data.index} exited (code ${code})`)));
  return {
    async send(c) {
      if (ended !== null) throw ended;
      worker.postMessage(c);
    },
    next() {
      const r = queue.shift();
      if (r !== undefined) return Promise.resolve(r);
      if (ended !== null) return Promise.reject(ended);
      return new Promise<Report>((resolve, reject) => (waiting = { resolve, reject }));
    },
    async stop() {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}

/**
 * The node side of a parallel run (inside a worker thread): builds its part of the simulation and answers
 * the main thread's commands until `finish`.
 */
export async function runSimWorker(port: MessagePort, data: WorkerData): Promise<void> {
  const { config, index, count } = data;
  const log = createLogger(data.logLevel, `fyp-sim-${index}`);
  let s: SimNode;
  try {
    s = setUpSimulation(config, log, {}, { index, count });
  } catch (e) {
    port.postMessage({ t: "failed", error: errorToWire(e), node: index } satisfies Report);
    return;
  }
  const { node, clock, metrics, counts } = s;
  const { system, feed, world } = node;
  const link = new LockstepLink(index, count, config.simulate.epochMs);
  system.attachRemote(link);
  feed.readModels.setPublisher((u) => {
    feed.readModels.apply(u);
    link.publish(u);
  });
  let fired = 0, dropped = 0, lastEventMs = 0;
  const deliver = (inbound: Crossing[]): void => {
    for (const c of inbound) {
      if (c.k === "publish") feed.readModels.apply(c.update);
      else if (c.k === "reply") system.settleAsk(c.corr, c.ok, c.ok ? c.value : errorFromWire(c.error!));
      else {
        const target = c.corr !== undefined ? { subject: String(c.from), corr: c.corr } : undefined;
        try {
          system.deliverLocal(c.to, c.msg, target);
        } catch (e) {
          if (target !== undefined) link.reply(target.subject, target.corr, false, e);
          else {
            dropped++;
            log.warn({ to: c.to, err: errorMessage(e) }, "message from another node dropped");
          }
        }
      }
    }
  };
  const report = (): Report => {
    const active = system.stats().active;
    return {
      t: "stepped", outbound: link.take(), foreground: clock.pendingForeground, live: metrics.liveSessions, active,
      usersDone: counts.usersDone, lastEventMs,
    };
  };
  port.postMessage({ t: "ready" } satisfies Report);
  port.on("message", (cmd: Command) => {
    void (async () => {
      try {
        if (cmd.t === "step") {
          deliver(cmd.inbound);
          const e = await driveVirtualEpoch(system, clock, cmd.untilMs);
          fired += e.fired;
          if (e.lastMs >= 0) lastEventMs = e.lastMs;
          port.postMessage(report());
        } else if (cmd.t === "settle") {
          deliver(cmd.inbound);
          if (cmd.flush) feed.aggregator.flush();
          const n = await driveVirtual(system, clock, { untilMs: cmd.untilMs });
          fired += n;
          if (n > 0 || cmd.untilMs !== undefined) lastEventMs = Math.max(lastEventMs, clock.now());
          await settleLocal(system);
          port.postMessage(report());
        } else {
          const own = (id: string): boolean => ownerOf(id, count) === index;
          const st = system.stats();
          const part: WorkerResult = {
            metrics: metrics.toPart(),
            filterBubble: metrics.filterBubbleSum((u) => world.user(u).affinity),
            fired, failed: st.failed, processed: st.processed, dropped,
            uploads: counts.uploads, noveltyRate: feed.readModels.noveltyRate, catalogSize: s.catalogSize, finalCatalogSize: feed.catalog.size, farmTargets: s.farm.targets,
            ...(own("coord/viral") ? { viral: await ask<ViralSnapshot>(system, "coord/viral") } : {}),
            ...(own("coord/homogenization") ? { homogenization: (await ask<{ samples: HomogenizationSample[] }>(system, "coord/homogenization")).samples } : {}),
            ...(own("coord/integrity") ? { integrity: await ask<SimulationResult["integrity"]>(system, "coord/integrity") } : {}),
          };
          port.postMessage({ t: "result", part } satisfies Report);
          await node.close();
          port.close();
        }
      } catch (e) {
        port.postMessage({ t: "failed", error: errorToWire(e), node: index } satisfies Report);
      }
    })();
  });
}

async function ask<T>(system: { ask<R>(to: string, m: { type: string }): Promise<R>; runReady(): void }, id: string): Promise<T> {
  const p = system.ask<T>(id, { type: "coord.get-state" });
  system.runReady();
  return p;
}

/**
 * A node's link to the other nodes of a parallel run: what its actors send to actors hosted elsewhere is
 * kept, per destination node in sending order, until the epoch's end hands it to the main thread.
 */
class LockstepLink implements RemoteLink {
  private out: Crossing[][];

  /** A request waits up to one epoch for its epoch's end, and its reply up to one more. */
  readonly deliveryDelayMs: number;

  constructor(private readonly index: number, private readonly count: number, epochMs: number) {
    this.deliveryDelayMs = 2 * epochMs;
    this.out = Array.from({ length: count }, () => []);
  }

  isLocal(id: string): boolean {
    return ownerOf(id, this.count) === this.index;
  }

  send(to: string, msg: { type: string }, corr: number | undefined): void {
    this.out[ownerOf(to, this.count)]!.push(corr === undefined ? { k: "msg", to, msg, from: this.index } : { k: "msg", to, msg, from: this.index, corr });
  }

  reply(subject: string, corr: number, ok: boolean, value: unknown): void {
    this.out[Number(subject)]!.push(ok ? { k: "reply", corr, ok, value } : { k: "reply", corr, ok, error: errorToWire(value) });
  }

  publish(update: ReadModelUpdate): void {
    for (let n = 0; n < this.count; n++) if (n !== this.index) this.out[n]!.push({ k: "publish", update });
  }

  /** What was sent since the last call, by destination node. */
  take(): Crossing[][] {
    const out = this.out;
    this.out = Array.from({ length: this.count }, () => []);
    return out;
  }
}
