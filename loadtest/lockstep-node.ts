import type { Logger } from "pino";
import { driveVirtual, driveVirtualEpoch, settleLocal, type HomogenizationSample, type RemoteLink, type ViralSnapshot } from "../actors/index.ts";
import { createLogger } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { errorFromWire, errorMessage, errorToWire, type ReadModelUpdate } from "../protocols/index.ts";
import type { SimMetricsPart } from "./sim-metrics.ts";
import { askState, ownerOf, setUpSimulation, type SimNode } from "./sim-node.ts";
import { ResearchTap, type TapBatch, type TapMeta } from "./research/research-tap.ts";
import type { SimulationResult } from "./simulate.ts";

export type WireError = ReturnType<typeof errorToWire>;

/**
 * What crosses between the nodes of a parallel run at an epoch boundary, in the order it was sent: a
 * message for an actor hosted there (an ask carries `corr`, its reply goes back to node `from`), the reply
 * to such an ask, or a read-model update a coordinator published (every other node applies it).
 */
export type Crossing =
  | { k: "msg"; to: string; msg: { type: string }; from: number; corr?: number }
  | { k: "reply"; corr: number; ok: boolean; value?: unknown; error?: WireError }
  | { k: "publish"; update: ReadModelUpdate };

/** A node's counts at an epoch's end, sent with its crossings: every node adds them up the same way. */
export interface EpochCounts {
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

/** One node's post of an exchange to one other node: what it sent there, and its counts. */
export interface Post {
  crossings: Crossing[];
  counts: EpochCounts;
}

/** Driver -> node: start (after every node reported `ready`). */
export interface Start {
  t: "start";
  untilMs: number | undefined;
}

/** Node -> driver. */
export type Report =
  | { t: "ready"; meta?: TapMeta }
  | { t: "obs"; node: number; batch: TapBatch }
  | { t: "progress"; usersDone: number; active: number; virtualMs: number }
  | { t: "settled" }
  | { t: "result"; part: NodeResult }
  | { t: "failed"; error: WireError; node: number; aborted: boolean };

export interface NodeResult {
  metrics: SimMetricsPart;
  /** Wall ms this node spent blocked waiting for its peers' posts. */
  waitMs: number;
  /** Peak RSS of the node's process (every thread's, when the nodes are threads of one process). */
  maxRssBytes: number;
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

/** What a node of a parallel run is told by its driver. */
export interface NodeSetup {
  config: Config;
  index: number;
  count: number;
  logLevel: string;
  /** Record for a research recorder at the driver (config research.filterBubbleUsers). */
  research?: { filterBubbleUsers: number };
}

/**
 * How a node meets its peers at epoch ends (worker threads: ports and shared memory; processes: NATS).
 * Whatever the medium, a node delivers its peers' k-th posts in node order, each in the order it was sent,
 * so a run repeats the same over any of them.
 */
export interface Exchange {
  /** Posts this node's `k`-th exchange: `out[j]` is what goes to node j (`out[index]` is unused). */
  post(k: number, out: Crossing[][], counts: EpochCounts): void;
  /** Every other node's `k`-th post, in node order (this node's place left out); waits for those not here yet. */
  receive(k: number): Post[] | Promise<Post[]>;
  /** Tells every node waiting (now or later) to give up: another node failed, or the run was stopped. */
  abort(): void;
  /** Wall ms spent waiting in `receive`. */
  readonly waitedMs: number;
}

/** A node's link to its driver and peers. */
export interface NodeIo {
  report(r: Report): void;
  /** The driver's start. */
  started(): Promise<Start>;
  readonly exchange: Exchange;
}

/** Thrown while waiting for a peer when another node failed (or the run was stopped). */
export class LockstepAborted extends Error {}

/**
 * One node of a parallel run: builds its part of the simulation, runs the epochs and the final settling in
 * lockstep with its peers through `io.exchange`, and reports its part of the result. Never throws: a
 * failure is reported (and the other nodes told to give up).
 */
export async function runLockstepNode(data: NodeSetup, io: NodeIo, log: Logger = createLogger(data.logLevel, `fyp-sim-${data.index}`)): Promise<void> {
  const { config, index, count } = data;
  const exchange = io.exchange;
  const fail = (e: unknown): void => {
    if (!(e instanceof LockstepAborted)) exchange.abort();
    io.report({ t: "failed", error: errorToWire(e), node: index, aborted: e instanceof LockstepAborted });
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
    exchange.post(++postedK, out, own);
    if (tap !== undefined) io.report({ t: "obs", node: index, batch: tap.take() });
    ownCounts.push(own);
  };
  /**
   * Receives every node's posts up to the `upTo`-th (waiting for peers that have not made it yet), delivers
   * them here in node order, and returns the last one's counts added up over the nodes (undefined when
   * there was nothing to receive). `atMs`: the epoch's end they are delivered at, to measure the lag.
   */
  const receive = async (upTo: number, atMs?: number): Promise<EpochCounts | undefined> => {
    let sum: EpochCounts | undefined;
    while (receivedK < upTo) {
      const posts = await exchange.receive(++receivedK);
      sum = { ...ownCounts.shift()! };
      const inbound: Crossing[] = [];
      for (const m of posts) {
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
        io.report({ t: "progress", usersDone: sum.usersDone, active: sum.active, virtualMs: sum.lastEventMs });
      }
    }
    return sum;
  };
  io.report({ t: "ready", ...(tap !== undefined ? { meta: tap.meta() } : {}) });
  try {
    const start = await io.started();
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
      const sum = await receive(postedK - lag, t);
      run.epochs++;
      if (untilMs !== undefined && t >= untilMs) break;
      if (sum !== undefined && sum.foreground === 0 && sum.inFlight === 0) break;
    }
    // what is still on its way arrives
    await receive(postedK);
    // the last window of counters, and what it sets off, to quiescence (as the one-node run does); each node
    // runs its due timers (up to the horizon, if any): done when nothing more crossed
    feed.aggregator.flush();
    for (;;) {
      const n = await driveVirtual(system, clock, { untilMs });
      fired += n;
      if (n > 0 || untilMs !== undefined) lastEventMs = Math.max(lastEventMs, clock.now());
      await settleLocal(system);
      post(clock.now());
      if ((await receive(postedK))!.crossings === 0) break;
    }
    if (index === 0) io.report({ t: "settled" });
    const own = (id: string): boolean => ownerOf(id, count) === index;
    const st = system.stats();
    const part: NodeResult = {
      metrics: metrics.toPart(),
      waitMs: Math.round(exchange.waitedMs),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      filterBubble: metrics.filterBubbleSum((u) => world.user(u).affinity),
      fired, failed: st.failed, processed: st.processed, dropped,
      uploads: counts.uploads, noveltyRate: feed.readModels.noveltyRate, catalogSize: s.catalogSize, finalCatalogSize: feed.catalog.size, farmTargets: s.farm.targets,
      run,
      ...(own("coord/viral") ? { viral: await askState<ViralSnapshot>(system, "coord/viral") } : {}),
      ...(own("coord/homogenization") ? { homogenization: (await askState<{ samples: HomogenizationSample[] }>(system, "coord/homogenization")).samples } : {}),
      ...(own("coord/integrity") ? { integrity: await askState<SimulationResult["integrity"]>(system, "coord/integrity") } : {}),
    };
    io.report({ t: "result", part });
    await node.close();
  } catch (e) {
    fail(e);
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
