import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { Logger } from "pino";
import { driveVirtual, driveVirtualEpoch, settleLocal, type HomogenizationSample, type RemoteLink, type ViralSnapshot } from "../actors/index.ts";
import { createLogger } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { errorFromWire, errorMessage, errorToWire, type ReadModelUpdate } from "../protocols/index.ts";
import { createProgress } from "./progress.ts";
import { moduleWorker } from "./worker-thread.ts";
import { SimMetrics, type SimMetricsPart } from "./sim-metrics.ts";
import { askState, ownerOf, setUpSimulation, summarize, type SimNode } from "./sim-node.ts";
import type { ResearchRecorder } from "./research/research-recorder.ts";
import { ResearchMerge, ResearchTap, type TapBatch, type TapMeta } from "./research/research-tap.ts";
import type { SimulationResult } from "./simulate.ts";

type WireError = ReturnType<typeof errorToWire>;

/**
 * What crosses between the nodes of a parallel run at an epoch boundary, in the order it was sent: a
 * message for an actor hosted there (an ask carries `corr`, its reply goes back to node `from`), the reply
 * to such an ask, or a read-model update a coordinator published (every other node applies it).
 */
type Crossing =
  | { k: "msg"; to: string; msg: { type: string }; from: number; corr?: number }
  | { k: "reply"; corr: number; ok: boolean; value?: unknown; error?: WireError }
  | { k: "publish"; update: ReadModelUpdate };

/** A node's counts at an epoch's end, sent with its crossings: every node adds them up the same way. */
interface EpochCounts {
  crossings: number;
  /** Crossings this node posted in its last lag + 1 posts, this one included: what may still be on its way. */
  inFlight: number;
  /** The virtual time of the post (its epoch's end). */
  atMs: number;
  foreground: number;
  live: number;
  active: number;
  usersDone: number;
  lastEventMs: number;
}

/** Main thread -> worker: start (after every worker reported `ready`). */
interface Start {
  t: "start";
  untilMs: number | undefined;
}

/** Worker -> main thread. */
type Report =
  | { t: "ready"; meta?: TapMeta }
  | { t: "obs"; node: number; batch: TapBatch }
  | { t: "progress"; usersDone: number; active: number; virtualMs: number }
  | { t: "settled" }
  | { t: "result"; part: WorkerResult }
  | { t: "failed"; error: WireError; node: number; aborted: boolean };

interface WorkerResult {
  metrics: SimMetricsPart;
  /** Wall ms this node spent blocked waiting for its peers' posts. */
  waitMs: number;
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
  /** The run's totals as every node added them up (node 0's are used). */
  run: { epochs: number; crossings: number; peakLive: number; peakActive: number; lastEventMs: number; deliveryLagMs: number };
  viral?: ViralSnapshot;
  homogenization?: HomogenizationSample[];
  integrity?: SimulationResult["integrity"];
}

export interface WorkerData {
  config: Config;
  index: number;
  count: number;
  logLevel: string;
  /** The exchange state's words (see LockstepWords), shared by every node and the main thread. */
  words: SharedArrayBuffer;
  /** A port to each other node (null at this node's own index). */
  peers: (MessagePort | null)[];
  /** Record for a research recorder on the main thread (config research.filterBubbleUsers). */
  research?: { filterBubbleUsers: number };
}

/**
 * `simulate.workers` > 1: the run split over worker threads, each a node of the recommender hosting a share
 * of the viewers (by key) and of the other actors (videos and cohorts by id, coordinators dealt in turn),
 * each with its own node-level state (candidate indexes, trending, bandit, aggregation), as the nodes of a
 * cluster have. They run in lockstep on virtual time: every node runs an epoch (`simulate.epochMs`) on its
 * own, then what it sent to the others (messages, replies, published read-model updates) is delivered to
 * them `simulate.lagEpochs` epochs later, at an epoch's end, in node order; so a node may run that many
 * epochs ahead of the slowest. The nodes exchange it among themselves (a port per pair of nodes, counters
 * in shared memory); the main thread only starts them, shows progress and puts the parts together. So a run
 * repeats for a config + seed + worker count + lag; it is not the one-node run (messages between nodes
 * arrive late, and each node learns only from its own viewers, as in a cluster).
 */
export async function runParallelSimulation(
  config: Readonly<Config>, log: Logger, opts: { untilMs?: number; onReady?: () => void; recorder?: ResearchRecorder } = {},
): Promise<SimulationResult> {
  const sim = config.simulate;
  const count = sim.workers;
  const progress = createProgress({ label: "simulate", total: sim.sessions, log, everyMs: sim.progressEveryMs, enabled: sim.progress });
  const words = new SharedArrayBuffer(LockstepWords.bytes(count));
  const peers: (MessagePort | null)[][] = Array.from({ length: count }, () => Array.from({ length: count }, () => null));
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      const { port1, port2 } = new MessageChannel();
      peers[i]![j] = port1;
      peers[j]![i] = port2;
    }
  }
  let settledAt = 0;
  let merge: ResearchMerge | undefined;
  const onNote = (r: Report): void => {
    if (r.t === "progress") progress.update(r.usersDone, { active: r.active, vt: `${Math.round(r.virtualMs / 1000)}s` });
    else if (r.t === "settled") settledAt = performance.now();
    else if (r.t === "obs") merge!.add(r.node, r.batch);
  };
  const research = opts.recorder !== undefined ? { filterBubbleUsers: config.research.filterBubbleUsers } : undefined;
  const workers = Array.from({ length: count }, (_, index) =>
    startWorker(
      { config: structuredClone(config) as Config, index, count, logLevel: log.level, words, peers: peers[index]!, ...(research !== undefined ? { research } : {}) },
      onNote, () => LockstepWords.abort(words),
    ),
  );
  try {
    const ready = (await Promise.all(workers.map((w) => w.next()))).map((r) => expect(r, "ready"));
    if (opts.recorder !== undefined) merge = new ResearchMerge(opts.recorder, count, ready[0]!.meta!);
    opts.onReady?.();
    const wallStart = performance.now();
    for (const w of workers) w.send({ t: "start", untilMs: opts.untilMs });
    const finals = await Promise.all(workers.map((w) => w.next()));
    // a node's own failure rather than the others' "aborted" after it
    const failure = finals.find((r) => r.t === "failed" && !r.aborted) ?? finals.find((r) => r.t === "failed");
    if (failure !== undefined) expect(failure, "result");
    const results = finals.map((r) => expect(r, "result").part);
    const wallMs = (settledAt || performance.now()) - wallStart;
    progress.update(results.reduce((s, r) => s + r.metrics.counters.usersDone, 0));
    progress.stop();
    const run = results[0]!.run;
    merge?.finish(run.lastEventMs);
    return {
      ...combine(config, results, { wallMs, virtualMs: run.lastEventMs, peakLive: run.peakLive, peakActive: run.peakActive }),
      nodes: { epochs: run.epochs, crossings: run.crossings, deliveryLagMs: run.deliveryLagMs, items: results.map((r) => r.metrics.counters.items), waitMs: results.map((r) => r.waitMs) },
    };
  } finally {
    LockstepWords.abort(words);
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
  send(c: Start): void;
  /** The worker's next report other than progress notes (rejects if it exits or fails first). */
  next(): Promise<Report>;
  stop(): Promise<void>;
}

/** Starts one node's worker thread. `onEnd` runs if the thread dies (the other nodes must not wait for it). */
function startWorker(data: WorkerData, onNote: (r: Report) => void, onEnd: () => void): WorkerHandle {
  const transferList = data.peers.filter((p): p is MessagePort => p !== null);
  const worker = moduleWorker(import.meta.url, "sim-worker", { workerData: data, transferList });
  const queue: Report[] = [];
  let waiting: { resolve: (r: Report) => void; reject: (e: Error) => void } | null = null;
  let ended: Error | null = null;
  worker.on("message", (r: Report) => {
    if (r.t === "progress" || r.t === "settled" || r.t === "obs") onNote(r);
    else if (waiting !== null) {
      const w = waiting;
      waiting = null;
      w.resolve(r);
    } else queue.push(r);
  });
  const end = (e: Error): void => {
    ended ??= e;
    onEnd();
    if (waiting !== null) {
      const w = waiting;
      waiting = null;
      w.reject(e);
    }
  };
  worker.on("error", (e) => end(e));
  worker.on("exit", (code) => end(new Error(`simulation worker ${data.index} exited (code ${code})`)));
  return {
    send(c) {
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

/** Words of the exchange state: the abort flag, then each node's count of exchanges posted. */
const ABORT = 0, POSTED = 1;
/** How long a node blocks at a time waiting for a peer before it looks at the abort flag again (ms). */
const WAIT_POLL_MS = 200;

/** Thrown while waiting for a peer when another node failed (or the run was stopped). */
class LockstepAborted extends Error {}

/**
 * Where the nodes meet, in shared memory: after its k-th exchange's post to its peers a node counts it in
 * its own word; a node that needs its peers' k-th posts waits (Atomics.wait: no event-loop turn) until
 * every peer's word has reached k, then reads them with receiveMessageOnPort (a port keeps posts in order).
 */
class LockstepWords {
  private readonly words: Int32Array;

  constructor(private readonly buffer: SharedArrayBuffer, private readonly count: number) {
    this.words = new Int32Array(buffer);
  }

  static bytes(count: number): number {
    return (POSTED + count) * 4;
  }

  /** Tells every node waiting (now or later) to give up. */
  static abort(buffer: SharedArrayBuffer): void {
    const w = new Int32Array(buffer);
    Atomics.store(w, ABORT, 1);
    for (let i = POSTED; i < w.length; i++) Atomics.notify(w, i);
  }

  abort(): void {
    LockstepWords.abort(this.buffer);
  }

  /** Node `index` has posted its `k`-th exchange to every peer. */
  posted(index: number, k: number): void {
    Atomics.store(this.words, POSTED + index, k);
    Atomics.notify(this.words, POSTED + index);
  }

  /** Wall ms spent blocked in `waitFor`. */
  waitedMs = 0;

  /** Blocks until every node other than `index` has posted its `k`-th exchange. */
  waitFor(index: number, k: number): void {
    const w = this.words;
    for (let j = 0; j < this.count; j++) {
      if (j === index) continue;
      for (;;) {
        if (Atomics.load(w, ABORT) !== 0) throw new LockstepAborted("another node of the parallel run failed");
        const at = Atomics.load(w, POSTED + j);
        if (at >= k) break;
        const t0 = performance.now();
        Atomics.wait(w, POSTED + j, at, WAIT_POLL_MS);
        this.waitedMs += performance.now() - t0;
      }
    }
  }
}

/**
 * The node side of a parallel run (inside a worker thread): builds its part of the simulation, runs the
 * epochs and the final settling in lockstep with its peers, and sends its part of the result.
 */
export async function runSimWorker(port: MessagePort, data: WorkerData): Promise<void> {
  const { config, index, count } = data;
  const log = createLogger(data.logLevel, `fyp-sim-${index}`);
  const words = new LockstepWords(data.words, count);
  const fail = (e: unknown): void => {
    if (!(e instanceof LockstepAborted)) words.abort();
    port.postMessage({ t: "failed", error: errorToWire(e), node: index, aborted: e instanceof LockstepAborted } satisfies Report);
  };
  const tap = data.research !== undefined ? new ResearchTap(data.research.filterBubbleUsers) : undefined;
  let s: SimNode;
  try {
    s = setUpSimulation(config, log, tap !== undefined ? { observer: tap } : {}, { index, count });
  } catch (e) {
    fail(e);
    return;
  }
  const { node, clock, metrics, counts } = s;
  const { system, feed, world } = node;
  const link = new LockstepLink(index, count, config.simulate.epochMs, config.simulate.lagEpochs);
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
  // the run's totals, added up the same way on every node
  const run = { epochs: 0, crossings: 0, peakLive: 0, peakActive: 0, lastEventMs: 0, deliveryLagMs: 0 };
  let lastProgress = 0;
  const lag = config.simulate.lagEpochs;
  // exchanges posted and received so far; this node's counts for the posts not yet received, and the sizes
  // of its last lag + 1 posts (what may still be on its way from it when a post's counts are added up)
  let postedK = 0, receivedK = 0;
  const ownCounts: EpochCounts[] = [];
  const recentPosts: number[] = [];
  /** An epoch's end (at virtual time `atMs`): posts this node's crossings, by destination, and its counts to its peers. */
  const post = (atMs: number): void => {
    const out = link.take();
    const crossings = out.reduce((n, l) => n + l.length, 0);
    recentPosts.push(crossings);
    if (recentPosts.length > lag + 1) recentPosts.shift();
    const own: EpochCounts = {
      crossings, inFlight: recentPosts.reduce((n, c) => n + c, 0), atMs, foreground: clock.pendingForeground, live: metrics.liveSessions,
      active: system.stats().active, usersDone: counts.usersDone, lastEventMs,
    };
    for (let j = 0; j < count; j++) if (j !== index) data.peers[j]!.postMessage({ crossings: out[j]!, counts: own });
    if (tap !== undefined) port.postMessage({ t: "obs", node: index, batch: tap.take() } satisfies Report);
    ownCounts.push(own);
    words.posted(index, ++postedK);
  };
  /**
   * Receives every node's posts up to the `upTo`-th (waiting for peers that have not made it yet), delivers
   * them here in node order, and returns the last one's counts added up over the nodes (undefined when
   * there was nothing to receive). `atMs`: the epoch's end they are delivered at, to measure the lag.
   */
  const receive = (upTo: number, atMs?: number): EpochCounts | undefined => {
    let sum: EpochCounts | undefined;
    while (receivedK < upTo) {
      words.waitFor(index, ++receivedK);
      sum = { ...ownCounts.shift()! };
      const inbound: Crossing[] = [];
      for (let j = 0; j < count; j++) {
        if (j === index) continue;
        const got = receiveMessageOnPort(data.peers[j]!);
        if (got === undefined) throw new Error(`parallel simulation: node ${j} posted nothing for exchange ${receivedK}`);
        const m = got.message as { crossings: Crossing[]; counts: EpochCounts };
        for (const c of m.crossings) inbound.push(c);
        if (atMs !== undefined) run.deliveryLagMs = Math.max(run.deliveryLagMs, atMs - m.counts.atMs);
        sum.crossings += m.counts.crossings;
        sum.inFlight += m.counts.inFlight;
        sum.foreground += m.counts.foreground;
        sum.live += m.counts.live;
        sum.active += m.counts.active;
        sum.usersDone += m.counts.usersDone;
        sum.lastEventMs = Math.max(sum.lastEventMs, m.counts.lastEventMs);
      }
      deliver(inbound);
      run.crossings += sum.crossings;
      run.peakLive = Math.max(run.peakLive, sum.live);
      run.peakActive = Math.max(run.peakActive, sum.active);
      run.lastEventMs = sum.lastEventMs;
      const now = performance.now();
      if (index === 0 && now - lastProgress >= config.simulate.progressEveryMs) {
        lastProgress = now;
        port.postMessage({ t: "progress", usersDone: sum.usersDone, active: sum.active, virtualMs: sum.lastEventMs } satisfies Report);
      }
    }
    return sum;
  };
  port.postMessage({ t: "ready", ...(tap !== undefined ? { meta: tap.meta() } : {}) } satisfies Report);
  const start = await new Promise<Start>((resolve) => port.once("message", resolve));
  try {
    const untilMs = start.untilMs;
    // Epochs until nothing is due anywhere and nothing is on its way between nodes. What a node posts at
    // the end of epoch k is delivered at the end of epoch k + lag: so a node runs up to `lag` epochs ahead
    // of the slowest, and the decision to stop is taken on every node from the same (older) counts.
    for (let t = 0; ; ) {
      t = untilMs === undefined ? t + config.simulate.epochMs : Math.min(untilMs, t + config.simulate.epochMs);
      const e = await driveVirtualEpoch(system, clock, t);
      fired += e.fired;
      if (e.lastMs >= 0) lastEventMs = e.lastMs;
      post(t);
      const sum = receive(postedK - lag, t);
      run.epochs++;
      if (untilMs !== undefined && t >= untilMs) break;
      if (sum !== undefined && sum.foreground === 0 && sum.inFlight === 0) break;
    }
    // what is still on its way arrives
    receive(postedK);
    // the last window of counters, and what it sets off, to quiescence (as the one-node run does); each node
    // runs its due timers (up to the horizon, if any): done when nothing more crossed
    feed.aggregator.flush();
    for (;;) {
      const n = await driveVirtual(system, clock, { untilMs });
      fired += n;
      if (n > 0 || untilMs !== undefined) lastEventMs = Math.max(lastEventMs, clock.now());
      await settleLocal(system);
      post(clock.now());
      if (receive(postedK)!.crossings === 0) break;
    }
    if (index === 0) port.postMessage({ t: "settled" } satisfies Report);
    const own = (id: string): boolean => ownerOf(id, count) === index;
    const st = system.stats();
    const part: WorkerResult = {
      metrics: metrics.toPart(),
      waitMs: Math.round(words.waitedMs),
      filterBubble: metrics.filterBubbleSum((u) => world.user(u).affinity),
      fired, failed: st.failed, processed: st.processed, dropped,
      uploads: counts.uploads, noveltyRate: feed.readModels.noveltyRate, catalogSize: s.catalogSize, finalCatalogSize: feed.catalog.size, farmTargets: s.farm.targets,
      run,
      ...(own("coord/viral") ? { viral: await askState<ViralSnapshot>(system, "coord/viral") } : {}),
      ...(own("coord/homogenization") ? { homogenization: (await askState<{ samples: HomogenizationSample[] }>(system, "coord/homogenization")).samples } : {}),
      ...(own("coord/integrity") ? { integrity: await askState<SimulationResult["integrity"]>(system, "coord/integrity") } : {}),
    };
    port.postMessage({ t: "result", part } satisfies Report);
    await node.close();
  } catch (e) {
    fail(e);
  } finally {
    for (const p of data.peers) p?.close();
    port.close();
  }
}

/**
 * A node's link to the other nodes of a parallel run: what its actors send to actors hosted elsewhere is
 * kept, per destination node in sending order, until the epoch's end hands it to them.
 */
class LockstepLink implements RemoteLink {
  private out: Crossing[][];

  /** A request waits up to 1 + lag epochs to be delivered, and its reply as long again. */
  readonly deliveryDelayMs: number;

  constructor(private readonly index: number, private readonly count: number, epochMs: number, lag: number) {
    this.deliveryDelayMs = 2 * (1 + lag) * epochMs;
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
