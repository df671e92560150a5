import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { hostname } from "node:os";
import { deserialize, getHeapStatistics, serialize } from "node:v8";
import type { Logger } from "pino";
import { NatsTransport, createLogger } from "../cluster/index.ts";
import type { Config } from "../configs/index.ts";
import { InvalidArgumentError, errorMessage, type Subscription } from "../protocols/index.ts";
import { LockstepAborted, runLockstepNode, type Crossing, type EpochCounts, type Exchange, type NodeSetup, type Post, type Report, type Start } from "./lockstep-node.ts";
import { ReportQueue, driveParallel, type LaunchedNodes, type NodeHandle, type ParallelOptions } from "./parallel-sim.ts";
import type { SimulationResult } from "./simulate.ts";

/**
 * A parallel run's nodes as processes that meet over NATS, on one machine or several: the same nodes as
 * the worker threads' (lockstep-node.ts), the same posts delivered in the same order, so a run repeats for
 * a config + seed + node count whichever carries it. The driver (`fyp simulate --workers W --nats URL`)
 * starts `localNodes` of the W nodes as child processes; the others join from other machines with
 * `fyp simulate --join RUN --nats URL`. Everything crosses on subjects `fyp.sim.<run>.*`:
 * - `join` (request/reply): a process asks for a node; the driver answers with its index and the config;
 * - `start.<i>`: the driver starts node i once every node is ready;
 * - `report.<i>`: node i's reports (ready, progress, research observations, its result or its failure);
 * - `x.<i>`: the posts for node i;
 * - `abort`: a node that failed, or the driver, tells every node to give up.
 * Posts and reports go in parts of at most `partBytes` (publishParts): a NATS server takes 1 MiB a message.
 * Payloads are V8's serialization, the structured clone worker threads post with: what a node receives is
 * what it would have received from a thread, so the two runs are the same.
 */
export interface NatsSimOptions {
  /** NATS server URL(s), comma-separated. */
  servers: string;
  /** The run's name (letters, digits, `-` and `_`): its subjects are `fyp.sim.<run>.*`. Default: a random one. */
  run?: string;
  /** How many of the run's nodes this process starts as its own child processes (default: all). */
  localNodes?: number;
  /** How long the driver waits for every node to join (ms); a joined node waits this + peerTimeoutMs for its start. */
  joinTimeoutMs?: number;
  /** How long a node waits for a peer's post before it gives up and fails the run (ms). */
  peerTimeoutMs?: number;
  /** Largest part of a post sent in one NATS message (bytes; default 512 KiB, under the server's 1 MiB default limit). */
  partBytes?: number;
  /**
   * How long a node goes on without a sign of its driver (which sends one every ALIVE_MS) before it stops:
   * a driver that died without a word (SIGKILL, a crash, its machine gone) must not leave nodes running.
   */
  driverTimeoutMs?: number;
}

const RUN_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Largest part of a post in one NATS message by default (the server's default limit is 1 MiB a message). */
const PART_BYTES = 512 * 1024;
/** A part's header: the message's number (a post's exchange, a report's count), the sending node, the part's number and the number of parts. */
const HEADER_BYTES = 16;
const DEFAULT_JOIN_TIMEOUT_MS = 300_000;
const DEFAULT_PEER_TIMEOUT_MS = 120_000;
const DEFAULT_DRIVER_TIMEOUT_MS = 30_000;
/** How often the driver says it is alive (wall ms). */
const ALIVE_MS = 2_000;
/** How long a joining process asks for a node before it gives up (ms), each ask's deadline, and the pause between asks. */
const DEFAULT_JOIN_WAIT_MS = 60_000;
const JOIN_REQUEST_MS = 5_000;
const JOIN_RETRY_MS = 250;
/** How often the driver says how many nodes it still waits for (wall ms). */
const WAITING_LOG_MS = 10_000;

const subjects = (run: string) => ({
  join: `fyp.sim.${run}.join`,
  start: (i: number) => `fyp.sim.${run}.start.${i}`,
  report: (i: number) => `fyp.sim.${run}.report.${i}`,
  exchange: (i: number) => `fyp.sim.${run}.x.${i}`,
  abort: `fyp.sim.${run}.abort`,
  alive: `fyp.sim.${run}.alive`,
});

/** The join's answer: the node to run, or why not. */
type JoinReply =
  | {
    ok: true; setup: NodeSetup; peerTimeoutMs: number; partBytes: number; startTimeoutMs: number;
    /** The driver's signs of life: every `aliveMs` on `alive`; a node stops after `driverTimeoutMs` without one. */
    aliveMs?: number; driverTimeoutMs?: number;
  }
  | { ok: false; error: string };

/** Checks the options a driver or a joining process is given (a clear error naming the option). */
export function checkNatsSimOptions(o: NatsSimOptions, workers: number): void {
  if (o.servers.trim() === "") throw new InvalidArgumentError("nats", "must be a NATS URL (nats://HOST:PORT)", o.servers);
  if (o.run !== undefined && !RUN_NAME.test(o.run)) throw new InvalidArgumentError("run", "must be 1-64 letters, digits, '-' or '_'", o.run);
  if (o.localNodes !== undefined && (!Number.isInteger(o.localNodes) || o.localNodes < 0 || o.localNodes > workers)) {
    throw new InvalidArgumentError("localNodes", `must be an integer from 0 to simulate.workers (${workers})`, o.localNodes);
  }
  for (const k of ["joinTimeoutMs", "peerTimeoutMs", "partBytes", "driverTimeoutMs"] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InvalidArgumentError(k, "must be a positive integer", v);
  }
}

/**
 * Drives a parallel run whose `simulate.workers` nodes are processes meeting over NATS (see NatsSimOptions):
 * starts the local ones, answers the joins, and puts the parts together as `runParallelSimulation` does.
 */
export async function runNatsSimulation(config: Readonly<Config>, log: Logger, nats: NatsSimOptions, opts: ParallelOptions = {}): Promise<SimulationResult> {
  const count = config.simulate.workers;
  checkNatsSimOptions(nats, count);
  const run = nats.run ?? randomBytes(6).toString("hex");
  const s = subjects(run);
  const localNodes = nats.localNodes ?? count;
  const joinTimeoutMs = nats.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
  const peerTimeoutMs = nats.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
  const transport = await NatsTransport.connect({ servers: nats.servers, name: `fyp-sim-${run}-driver`, log });
  // closed however the run ends, also when starting its nodes failed
  try {
    return await driveParallel(config, log, opts, launch);
  } finally {
    await transport.close();
  }

  async function launch(onNote: (r: Report) => void, research: NodeSetup["research"]): Promise<LaunchedNodes> {
    const subs: Subscription[] = [];
    const children: ChildProcess[] = [];
    const queues = Array.from({ length: count }, () => new ReportQueue(onNote));
    const done = new Array<boolean>(count).fill(false);
    const joinedBy: string[] = [];
    const fail = (e: Error): void => {
      for (let i = 0; i < count; i++) if (!done[i]) queues[i]!.end(e);
    };
    for (let i = 0; i < count; i++) {
      // a node's reports come in order (one connection, one subject), so each is whole before the next
      const parts = new PartsAssembler((_seq, _from, bytes) => {
        const r = deserialize(bytes) as Report;
        if (r.t === "result" || r.t === "failed") done[i] = true;
        queues[i]!.push(r);
      });
      subs.push(transport.subscribe(s.report(i), (data) => parts.add(data)));
    }
    subs.push(transport.subscribe(s.join, (data, replyTo) => {
      if (replyTo === undefined) return;
      const joiner = String(deserialize(data));
      const index = joinedBy.length;
      let reply: JoinReply;
      if (index >= count) reply = { ok: false, error: `run ${run} has all its ${count} nodes` };
      else {
        joinedBy.push(joiner);
        log.info({ run, node: index, joiner }, "simulation node joined");
        const setup: NodeSetup = { config: structuredClone(config) as Config, index, count, logLevel: log.level, ...(research !== undefined ? { research } : {}) };
        // the driver starts the nodes once all have joined and built their part: a node that hears nothing
        // for longer than that (its driver gone) gives up
        reply = {
          ok: true, setup, peerTimeoutMs, partBytes: nats.partBytes ?? PART_BYTES, startTimeoutMs: joinTimeoutMs + peerTimeoutMs,
          aliveMs: ALIVE_MS, driverTimeoutMs: nats.driverTimeoutMs ?? DEFAULT_DRIVER_TIMEOUT_MS,
        };
      }
      transport.publish(replyTo, serialize(reply));
    }));
    await transport.flush();
    const alive = setInterval(() => transport.publish(s.alive, new Uint8Array(0)), ALIVE_MS);
    for (let i = 0; i < localNodes; i++) {
      const child = startNodeProcess(nats.servers, run, log.level);
      children.push(child);
      const joiner = `${hostname()}:${child.pid}`;
      const ended = (why: string): void => {
        const index = joinedBy.indexOf(joiner);
        if (index < 0 || !done[index]) fail(new Error(`simulation node process ${child.pid}${index < 0 ? "" : ` (node ${index})`} ${why}`));
      };
      child.once("error", (e) => ended(`could not start: ${errorMessage(e)}`));
      child.once("exit", (code, signal) => ended(`exited (${signal ?? `code ${code}`}) before its result`));
    }
    if (localNodes < count) {
      log.info({ run, waiting: count - localNodes, join: `fyp simulate --join ${run} --nats ${nats.servers}` }, "waiting for simulation nodes to join from other machines");
    }
    const joinDeadline = Date.now() + joinTimeoutMs;
    const waiting = setInterval(() => {
      if (joinedBy.length >= count) clearInterval(waiting);
      else if (Date.now() >= joinDeadline) {
        clearInterval(waiting);
        fail(new Error(`only ${joinedBy.length} of ${count} simulation nodes joined run ${run} within ${joinTimeoutMs} ms (others join with: fyp simulate --join ${run} --nats ${nats.servers})`));
      } else log.info({ run, joined: joinedBy.length, of: count }, "waiting for simulation nodes to join");
    }, Math.min(WAITING_LOG_MS, joinTimeoutMs));
    // Ctrl-C or a kill of the driver: the nodes (those on other machines too) are told to stop before this
    // process ends, rather than waiting out their timeouts
    const onSignal = (sig: NodeJS.Signals): void => {
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      log.warn({ run, signal: sig }, "simulation interrupted: telling its nodes to stop");
      transport.publish(s.abort, new Uint8Array(0));
      void transport.flush().finally(() => process.kill(process.pid, sig));
    };
    process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
    const nodes: NodeHandle[] = queues.map((q, i) => ({
      send(c: Start) {
        if (q.ended !== null) throw q.ended;
        transport.publish(s.start(i), serialize(c));
      },
      next: () => q.next(),
      async stop() {
        // a node process ends on its own after its result; one still running is told to stop
        const child = children.find((c) => joinedBy.indexOf(`${hostname()}:${c.pid}`) === i);
        if (child !== undefined) await exitOf(child, !done[i]);
      },
    }));
    return {
      nodes,
      processes: true,
      abort: () => {
        clearInterval(waiting);
        transport.publish(s.abort, new Uint8Array(0));
      },
      close: async () => {
        clearInterval(alive);
        process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
        // children that never joined
        await Promise.all(children.map((c) => exitOf(c, true)));
        for (const sub of subs) sub.unsubscribe();
      },
    };
  }
}

/** Resolves once `child` has exited (at once if it has); with `kill`, a running child is sent SIGTERM first. */
function exitOf(child: ChildProcess, kill: boolean): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  if (kill) child.kill("SIGTERM");
  return exited;
}

/** Starts a node process on this machine (sim-node-process.ts) that joins run `run`, with this process's heap limit. */
function startNodeProcess(servers: string, run: string, logLevel: string): ChildProcess {
  const ts = import.meta.url.endsWith(".ts");
  const entry = new URL(`./sim-node-process${ts ? ".ts" : ".js"}`, import.meta.url);
  const heapMb = Math.floor(getHeapStatistics().heap_size_limit / 2 ** 20);
  const args = [`--max-old-space-size=${heapMb}`, ...(ts ? ["--import", import.meta.resolve("tsx")] : []), fileURLToPath(entry), servers, run, logLevel];
  // stdin stays open as the node's sign that its driver is alive (sim-node-process.ts)
  return spawn(process.execPath, args, { stdio: ["pipe", "ignore", "inherit"] });
}

/**
 * A process's part in a run over NATS: joins run `run` at its driver, runs the node it is given, and
 * returns once the node has reported its result or its failure (0 or 1, the process's exit code).
 */
export async function joinNatsSimulation(o: { servers: string; run: string; log?: Logger; logLevel?: string; waitMs?: number }): Promise<number> {
  checkNatsSimOptions({ servers: o.servers, run: o.run }, 1);
  const log = o.log ?? createLogger(o.logLevel ?? "info", "fyp-sim-node");
  const s = subjects(o.run);
  const transport = await NatsTransport.connect({ servers: o.servers, name: `fyp-sim-${o.run}-${process.pid}`, log });
  try {
    const answer = await askToJoin(transport, o.run, o.waitMs ?? DEFAULT_JOIN_WAIT_MS, log);
    if (!answer.ok) throw new Error(`cannot join simulation run ${o.run}: ${answer.error}`);
    const { setup, peerTimeoutMs, partBytes, startTimeoutMs } = answer;
    const exchange = new NatsExchange(transport, o.run, setup.index, setup.count, peerTimeoutMs, partBytes);
    const nodeLog = log.child({ node: setup.index });
    // the start, or the driver's abort while this node waits for it (another node failed to start)
    let start: { resolve: (c: Start) => void; reject: (e: Error) => void } | undefined;
    const started = new Promise<Start>((resolve, reject) => (start = { resolve, reject }));
    const startTimer = setTimeout(() => start!.reject(new Error(`no start from the driver of simulation run ${o.run} within ${startTimeoutMs} ms`)), startTimeoutMs);
    void started.then(() => clearTimeout(startTimer), () => clearTimeout(startTimer));
    const startSub = transport.subscribe(s.start(setup.index), (data) => start!.resolve(deserialize(data) as Start));
    const abortSub = transport.subscribe(s.abort, () => start!.reject(new LockstepAborted("the run was stopped before it started")));
    const watch = answer.aliveMs !== undefined && answer.driverTimeoutMs !== undefined
      ? watchDriver(transport, o.run, answer.aliveMs, answer.driverTimeoutMs, (e) => {
        nodeLog.error({ run: o.run, err: e.message }, "simulation driver gone: stopping");
        start!.reject(e);
        exchange.fail(e);
      })
      : undefined;
    // the server must know this node's subscriptions before the node says it is ready
    await transport.flush();
    let outcome = 1, reports = 0;
    await runLockstepNode(setup, {
      report: (r) => {
        if (r.t === "result") outcome = 0;
        publishParts(transport, s.report(setup.index), ++reports, setup.index, serialize(r), partBytes);
      },
      started: () => started,
      exchange,
    }, nodeLog);
    watch?.stop();
    startSub.unsubscribe();
    abortSub.unsubscribe();
    exchange.close();
    return outcome;
  } finally {
    await transport.close();
  }
}

/**
 * Calls `gone` once when no sign of the driver (on `alive`) has come for `timeoutMs`. A check that comes
 * late (this process was busy, e.g. a long epoch) is skipped: the signs that arrived meanwhile are read first.
 */
function watchDriver(transport: NatsTransport, run: string, aliveMs: number, timeoutMs: number, gone: (e: Error) => void): { stop(): void } {
  let lastSign = performance.now(), lastCheck = lastSign;
  const sub = transport.subscribe(subjects(run).alive, () => (lastSign = performance.now()));
  const stop = (): void => {
    clearInterval(timer);
    sub.unsubscribe();
  };
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - lastCheck > 2 * aliveMs;
    lastCheck = now;
    if (late || now - lastSign <= timeoutMs) return;
    stop();
    gone(new Error(`the driver of simulation run ${run} went silent (no sign of it for ${Math.round(now - lastSign)} ms)`));
  }, aliveMs);
  return { stop };
}

/**
 * Asks run `run`'s driver for a node, again every JOIN_RETRY_MS while nobody answers (a process may be
 * started before the driver), for up to `waitMs`.
 */
async function askToJoin(transport: NatsTransport, run: string, waitMs: number, log: Logger): Promise<JoinReply> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return deserialize(await transport.request(subjects(run).join, serialize(`${hostname()}:${process.pid}`), JOIN_REQUEST_MS)) as JoinReply;
    } catch (e) {
      if (Date.now() + JOIN_RETRY_MS >= deadline) throw new Error(`no driver of simulation run ${run} answered within ${waitMs} ms (${errorMessage(e)})`, { cause: e });
      if (attempt === 1) log.info({ run }, "no driver of this simulation run yet: asking again until one answers");
      await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_MS));
    }
  }
}

/**
 * Sends message `seq` of node `from` on `subject` in parts of at most `size` bytes, each headed by (seq,
 * from, part, parts): a NATS server refuses a message over its limit (1 MiB by default), and a post or a
 * result can be larger.
 */
function publishParts(transport: NatsTransport, subject: string, seq: number, from: number, bytes: Uint8Array, size: number): void {
  const parts = Math.max(1, Math.ceil(bytes.length / size));
  for (let p = 0; p < parts; p++) {
    const body = bytes.subarray(p * size, Math.min(bytes.length, (p + 1) * size));
    const msg = new Uint8Array(HEADER_BYTES + body.length);
    const h = new DataView(msg.buffer);
    h.setUint32(0, seq);
    h.setUint32(4, from);
    h.setUint32(8, p);
    h.setUint32(12, parts);
    msg.set(body, HEADER_BYTES);
    transport.publish(subject, msg);
  }
}

/** Puts messages sent by `publishParts` back together; `whole` gets each one once all its parts are here. */
class PartsAssembler {
  private readonly pending = new Map<string, { parts: (Uint8Array | undefined)[]; have: number }>();

  constructor(private readonly whole: (seq: number, from: number, bytes: Uint8Array) => void) {}

  add(data: Uint8Array): void {
    const h = new DataView(data.buffer, data.byteOffset, HEADER_BYTES);
    const seq = h.getUint32(0), from = h.getUint32(4), part = h.getUint32(8), parts = h.getUint32(12);
    // the client's buffer is reused for later messages: keep a copy
    const body = data.slice(HEADER_BYTES);
    if (parts === 1) return this.whole(seq, from, body);
    const key = `${seq}/${from}`;
    let inc = this.pending.get(key);
    if (inc === undefined) this.pending.set(key, (inc = { parts: new Array<Uint8Array | undefined>(parts).fill(undefined), have: 0 }));
    if (inc.parts[part] !== undefined) return;
    inc.parts[part] = body;
    if (++inc.have < parts) return;
    this.pending.delete(key);
    this.whole(seq, from, Buffer.concat(inc.parts as Uint8Array[]));
  }
}

/**
 * The exchange over NATS: node j's k-th post for this node arrives on `x.<this node>` (in parts), and is
 * handed out with the other nodes' k-th posts, in node order, once all are here.
 */
class NatsExchange implements Exchange {
  private readonly s: ReturnType<typeof subjects>;
  /** Posts received, by exchange number, then by sending node. */
  private readonly inbox = new Map<number, Map<number, Uint8Array>>();
  private readonly subs: Subscription[];
  private waiter: { k: number; resolve: (p: Post[]) => void; reject: (e: Error) => void } | null = null;
  private aborted = false;
  private failed: Error | null = null;
  waitedMs = 0;

  constructor(
    private readonly transport: NatsTransport, run: string, private readonly index: number, private readonly count: number,
    private readonly peerTimeoutMs: number, private readonly partBytes: number,
  ) {
    this.s = subjects(run);
    const parts = new PartsAssembler((k, from, bytes) => this.onPost(k, from, bytes));
    this.subs = [
      transport.subscribe(this.s.exchange(index), (data) => parts.add(data)),
      transport.subscribe(this.s.abort, () => this.onAbort()),
    ];
  }

  post(k: number, out: Crossing[][], counts: EpochCounts): void {
    for (let j = 0; j < this.count; j++) {
      if (j !== this.index) publishParts(this.transport, this.s.exchange(j), k, this.index, serialize({ crossings: out[j]!, counts } satisfies Post), this.partBytes);
    }
  }

  receive(k: number): Post[] | Promise<Post[]> {
    if (this.failed !== null) throw this.failed;
    if (this.aborted) throw new LockstepAborted("another node of the parallel run failed");
    if (this.complete(k)) return this.take(k);
    const t0 = performance.now();
    return new Promise<Post[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        const have = this.inbox.get(k);
        const missing = [];
        for (let j = 0; j < this.count; j++) if (j !== this.index && have?.get(j) === undefined) missing.push(j);
        reject(new Error(`parallel simulation over NATS: node ${this.index} got no post ${k} from node${missing.length > 1 ? "s" : ""} ${missing.join(", ")} within ${this.peerTimeoutMs} ms`));
      }, this.peerTimeoutMs);
      const settle = (f: () => void): void => {
        clearTimeout(timer);
        this.waitedMs += performance.now() - t0;
        this.waiter = null;
        f();
      };
      this.waiter = {
        k,
        resolve: (p) => settle(() => resolve(p)),
        reject: (e) => settle(() => reject(e)),
      };
    });
  }

  abort(): void {
    this.aborted = true;
    this.transport.publish(this.s.abort, new Uint8Array(0));
  }

  close(): void {
    for (const sub of this.subs) sub.unsubscribe();
  }

  /** This node must stop (its driver is gone): the receive in progress, and any later, fails with `e`. */
  fail(e: Error): void {
    this.failed = e;
    this.waiter?.reject(e);
  }

  private onAbort(): void {
    this.aborted = true;
    this.waiter?.reject(new LockstepAborted("another node of the parallel run failed"));
  }

  private onPost(k: number, from: number, bytes: Uint8Array): void {
    let byNode = this.inbox.get(k);
    if (byNode === undefined) this.inbox.set(k, (byNode = new Map()));
    byNode.set(from, bytes);
    const w = this.waiter;
    if (w !== null && w.k === k && this.complete(k)) w.resolve(this.take(k));
  }

  private complete(k: number): boolean {
    return (this.inbox.get(k)?.size ?? 0) === this.count - 1;
  }

  private take(k: number): Post[] {
    const byNode = this.inbox.get(k);
    this.inbox.delete(k);
    const posts: Post[] = [];
    for (let j = 0; j < this.count; j++) if (j !== this.index) posts.push(deserialize(byNode!.get(j)!) as Post);
    return posts;
  }
}
