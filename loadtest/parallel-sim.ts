import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { Logger } from "pino";
import { createLogger } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { errorFromWire } from "../protocols/index.ts";
import { createProgress } from "./progress.ts";
import { moduleWorker } from "./worker-thread.ts";
import { SimMetrics } from "./sim-metrics.ts";
import { summarize } from "./sim-node.ts";
import type { ResearchRecorder } from "./research/research-recorder.ts";
import { ResearchMerge } from "./research/research-tap.ts";
import type { SimulationResult } from "./simulate.ts";
import { LockstepAborted, runLockstepNode, type Crossing, type EpochCounts, type Exchange, type NodeResult, type NodeSetup, type Post, type Report, type Start } from "./lockstep-node.ts";

/** A node of a parallel run as its driver sees it (a worker thread, or a process met over NATS). */
export interface NodeHandle {
  send(c: Start): void;
  /** The node's next report other than progress, observations and `settled` (rejects if it ends or fails first). */
  next(): Promise<Report>;
  stop(): Promise<void>;
}

/** What a driver's launcher started: a handle per node, in node order, and how to tell them all to give up. */
export interface LaunchedNodes {
  nodes: NodeHandle[];
  abort(): void;
  /** After the nodes are stopped. */
  close?(): Promise<void>;
  /** Each node is a process of its own (its peak RSS is its own, and goes in the result). */
  processes?: boolean;
}

export interface ParallelOptions {
  untilMs?: number;
  onReady?: () => void;
  recorder?: ResearchRecorder;
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
 * arrive late, and each node learns only from its own viewers, as in a cluster). The same nodes can run as
 * processes that meet over NATS (nats-sim.ts): same config, seed and count, same run.
 */
export async function runParallelSimulation(config: Readonly<Config>, log: Logger, opts: ParallelOptions = {}): Promise<SimulationResult> {
  const count = config.simulate.workers;
  return driveParallel(config, log, opts, async (onNote, research) => {
    const words = new SharedArrayBuffer(LockstepWords.bytes(count));
    const peers: (MessagePort | null)[][] = Array.from({ length: count }, () => Array.from({ length: count }, () => null));
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const { port1, port2 } = new MessageChannel();
        peers[i]![j] = port1;
        peers[j]![i] = port2;
      }
    }
    const nodes = Array.from({ length: count }, (_, index) =>
      startWorker(
        { config: structuredClone(config) as Config, index, count, logLevel: log.level, words, peers: peers[index]!, ...(research !== undefined ? { research } : {}) },
        onNote, () => LockstepWords.abort(words),
      ),
    );
    return { nodes, abort: () => LockstepWords.abort(words) };
  });
}

/**
 * Runs a parallel simulation's nodes from the driver's side, whatever carries them: `launch` starts them;
 * this waits for every node's `ready`, starts them together, shows progress, feeds a research recorder the
 * nodes' observations, and puts their parts together (a node's own failure rather than the others'
 * "aborted" after it).
 */
export async function driveParallel(
  config: Readonly<Config>, log: Logger, opts: ParallelOptions,
  launch: (onNote: (r: Report) => void, research: NodeSetup["research"]) => Promise<LaunchedNodes>,
): Promise<SimulationResult> {
  const sim = config.simulate;
  const progress = createProgress({ label: "simulate", total: sim.sessions, log, everyMs: sim.progressEveryMs, enabled: sim.progress });
  let settledAt = 0;
  let merge: ResearchMerge | undefined;
  const onNote = (r: Report): void => {
    if (r.t === "progress") progress.update(r.usersDone, { active: r.active, vt: `${Math.round(r.virtualMs / 1000)}s` });
    else if (r.t === "settled") settledAt = performance.now();
    else if (r.t === "obs") merge!.add(r.node, r.batch);
  };
  const research = opts.recorder !== undefined ? { filterBubbleUsers: config.research.filterBubbleUsers } : undefined;
  const launched = await launch(onNote, research);
  const nodes = launched.nodes;
  try {
    const ready = (await Promise.all(nodes.map((w) => w.next()))).map((r) => expect(r, "ready"));
    if (opts.recorder !== undefined) merge = new ResearchMerge(opts.recorder, nodes.length, ready[0]!.meta!);
    opts.onReady?.();
    const wallStart = performance.now();
    for (const w of nodes) w.send({ t: "start", untilMs: opts.untilMs });
    const finals = await finalReports(nodes);
    // a node's own failure rather than the others' "aborted" after it
    const failure = finals.find((r) => r?.t === "failed" && !r.aborted) ?? finals.find((r) => r?.t === "failed");
    if (failure !== undefined) expect(failure, "result");
    const results = finals.map((r) => expect(r!, "result").part);
    const wallMs = (settledAt || performance.now()) - wallStart;
    progress.update(results.reduce((s, r) => s + r.metrics.counters.usersDone, 0));
    progress.stop();
    const run = results[0]!.run;
    merge?.finish(run.lastEventMs);
    return {
      ...combine(config, results, { wallMs, virtualMs: run.lastEventMs, peakLive: run.peakLive, peakActive: run.peakActive }),
      nodes: {
        epochs: run.epochs, crossings: run.crossings, deliveryLagMs: run.deliveryLagMs, items: results.map((r) => r.metrics.counters.items), waitMs: results.map((r) => r.waitMs),
        ...(launched.processes === true ? { maxRssBytes: results.map((r) => r.maxRssBytes) } : {}),
      },
    };
  } finally {
    launched.abort();
    await Promise.all(nodes.map((w) => w.stop()));
    await launched.close?.();
  }
}

/** The parts' figures put together into one run's result. */
function combine(config: Readonly<Config>, results: NodeResult[], run: { wallMs: number; virtualMs: number; peakLive: number; peakActive: number }): SimulationResult {
  const first = results[0]!;
  const metrics = new SimMetrics(0, 1, new Set());
  for (const r of results) metrics.absorb(r.metrics);
  metrics.farmImpressionTimes.sort((a, b) => a - b);
  metrics.peakLiveSessions = run.peakLive;
  const one = <T>(pick: (r: NodeResult) => T | undefined, what: string): T => {
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

/**
 * Every node's final report (its result or its failure), or, as soon as one node reports a failure of its
 * own, what has come so far: the others may never report (a process that died without a word, or one
 * that never got its peer's post).
 */
function finalReports(nodes: NodeHandle[]): Promise<(Report | undefined)[]> {
  const finals = new Array<Report | undefined>(nodes.length).fill(undefined);
  return new Promise((resolve, reject) => {
    let left = nodes.length;
    nodes.forEach((w, i) => {
      w.next().then((r) => {
        finals[i] = r;
        left--;
        if (left === 0 || (r.t === "failed" && !r.aborted)) resolve(finals);
      }, reject);
    });
  });
}

function expect<T extends Report["t"]>(r: Report, t: T): Extract<Report, { t: T }> {
  // the node's error as it was (its code, e.g. a missing model's NOT_FOUND), naming the node
  if (r.t === "failed") throw errorFromWire({ ...r.error, message: `simulation node ${r.node}: ${r.error.message}` });
  if (r.t !== t) throw new Error(`simulation worker sent "${r.t}", expected "${t}"`);
  return r as Extract<Report, { t: T }>;
}

/**
 * A node's reports as they come in, for its handle: progress, observations and `settled` go to `onNote` at
 * once; the rest wait for `next`. Once the node has ended (its thread or process gone), `next` rejects.
 */
export class ReportQueue {
  private readonly queue: Report[] = [];
  private waiting: { resolve: (r: Report) => void; reject: (e: Error) => void } | null = null;
  private endedWith: Error | null = null;

  constructor(private readonly onNote: (r: Report) => void) {}

  push(r: Report): void {
    if (r.t === "progress" || r.t === "settled" || r.t === "obs") this.onNote(r);
    else if (this.waiting !== null) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve(r);
    } else this.queue.push(r);
  }

  /** The node is gone: what waits for it, and what asks later, gets `e` (the first reason given). */
  end(e: Error): void {
    this.endedWith ??= e;
    if (this.waiting !== null) {
      const w = this.waiting;
      this.waiting = null;
      w.reject(this.endedWith);
    }
  }

  get ended(): Error | null {
    return this.endedWith;
  }

  next(): Promise<Report> {
    const r = this.queue.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.endedWith !== null) return Promise.reject(this.endedWith);
    return new Promise<Report>((resolve, reject) => (this.waiting = { resolve, reject }));
  }
}

/** What a worker thread is started with: its node's setup, and the thread exchange's shared parts. */
export interface WorkerData extends NodeSetup {
  /** The exchange state's words (see LockstepWords), shared by every node and the main thread. */
  words: SharedArrayBuffer;
  /** A port to each other node (null at this node's own index). */
  peers: (MessagePort | null)[];
}

/** Starts one node's worker thread. `onEnd` runs if the thread dies (the other nodes must not wait for it). */
function startWorker(data: WorkerData, onNote: (r: Report) => void, onEnd: () => void): NodeHandle {
  const transferList = data.peers.filter((p): p is MessagePort => p !== null);
  const worker = moduleWorker(import.meta.url, "sim-worker", { workerData: data, transferList });
  const reports = new ReportQueue(onNote);
  worker.on("message", (r: Report) => reports.push(r));
  const end = (e: Error): void => {
    reports.end(e);
    onEnd();
  };
  worker.on("error", (e) => end(e));
  worker.on("exit", (code) => end(new Error(`simulation worker ${data.index} exited (code ${code})`)));
  return {
    send(c) {
      if (reports.ended !== null) throw reports.ended;
      worker.postMessage(c);
    },
    next: () => reports.next(),
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
 * The worker threads' exchange: a post goes to each peer's port, then the node counts it in its word; a
 * receive waits on the peers' words (blocking the thread: it has nothing else to do), then reads one post
 * from each peer's port, in node order.
 */
class ThreadExchange implements Exchange {
  private readonly words: LockstepWords;

  constructor(private readonly index: number, private readonly count: number, buffer: SharedArrayBuffer, private readonly peers: (MessagePort | null)[]) {
    this.words = new LockstepWords(buffer, count);
  }

  get waitedMs(): number {
    return this.words.waitedMs;
  }

  post(k: number, out: Crossing[][], counts: EpochCounts): void {
    for (let j = 0; j < this.count; j++) if (j !== this.index) this.peers[j]!.postMessage({ crossings: out[j]!, counts } satisfies Post);
    this.words.posted(this.index, k);
  }

  receive(k: number): Post[] {
    this.words.waitFor(this.index, k);
    const posts: Post[] = [];
    for (let j = 0; j < this.count; j++) {
      if (j === this.index) continue;
      const got = receiveMessageOnPort(this.peers[j]!);
      if (got === undefined) throw new Error(`parallel simulation: node ${j} posted nothing for exchange ${k}`);
      posts.push(got.message as Post);
    }
    return posts;
  }

  abort(): void {
    this.words.abort();
  }
}

/** The node side of a parallel run inside a worker thread (sim-worker.ts): reports and the start go through `port`. */
export async function runSimWorker(port: MessagePort, data: WorkerData): Promise<void> {
  const { words, peers, ...setup } = data;
  const exchange = new ThreadExchange(data.index, data.count, words, peers);
  try {
    await runLockstepNode(setup, {
      report: (r) => port.postMessage(r),
      started: () => new Promise<Start>((resolve) => port.once("message", resolve)),
      exchange,
    }, createLogger(data.logLevel, `fyp-sim-${data.index}`));
  } finally {
    for (const p of peers) p?.close();
    port.close();
  }
}
