import { PerformanceObserver } from "node:perf_hooks";
import { GrpcStatus, RpcError, grpcStatusName, type FeedClient, type GetFeedCaller } from "../cluster/index.ts";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.ts";

export interface GrpcLoadOptions {
  /** Requests per second, issued on schedule whether or not earlier ones finished (open loop). */
  rate: number;
  durationMs: number;
  /** Requests spread over this many user ids (u0..u{n-1}). */
  users: number;
  /** Items per feed. */
  count: number;
  /** Per-request deadline. */
  deadlineMs: number;
  /** Requests allowed outstanding; past it the generator counts `client_overflow` instead of sending. */
  maxOutstanding?: number;
  seed?: number;
}

export interface GrpcLoadReport {
  rate: number;
  durationMs: number;
  sent: number;
  /** Completed per second over the run (answers of any status). */
  achievedRps: number;
  /** Status name -> count (plus client_overflow when the generator itself had to hold back). */
  codes: Record<string, number>;
  /** Latency of OK answers, from the time each request was *scheduled* (no coordinated omission). */
  ok: LatencySummary;
  /** Latency of every answer, refused ones included. */
  all: LatencySummary;
  /** Share of answers that were RESOURCE_EXHAUSTED. */
  shedShare: number;
  /** How late the generator was, worst case (ms): a figure over a few ms means the generator, not the server, limited the run. */
  maxScheduleLagMs: number;
  /**
   * How late requests left the generator (send time minus due time). `ok` includes this lag (no coordinated
   * omission); `okFromSend` is the same answers timed from when they were actually sent, so a run whose
   * generator was starved shows it here instead of passing its own lag off as server latency.
   */
  sendLag: LatencySummary;
  okFromSend: LatencySummary;
  /** The generator's own longest GC pause during the run (ms): answers that arrived meanwhile are timed late by it. */
  generatorGcMaxMs: number;
  /** CPU the generator process used, as a share of one core over the run: near 1, it (not the server) set the pace. */
  generatorCpuShare: number;
}

/** A FeedClient as a GetFeedCaller (for TLS targets, which the lean caller does not speak). */
export function callerOf(client: FeedClient): GetFeedCaller {
  return {
    getFeed: (userId, count, deadlineMs) =>
      client.getFeed({ userId, count }, { deadlineMs }).then(
        () => ({ code: GrpcStatus.OK, bytes: 0 }),
        (e: unknown) => ({ code: e instanceof RpcError ? e.code : -1, bytes: 0 }),
      ),
    waitReady: (ms) => client.waitReady(ms),
    close: () => client.close(),
  };
}

/**
 * Open-loop, constant-rate GetFeed load: request i is due at start + i/rate; every millisecond the generator
 * sends whatever is due. Latency counts from the due time, so a stalled server shows up in the percentiles
 * instead of silently lowering the offered rate. Bounded in time (duration + deadline) and in requests.
 */
export async function runGrpcLoad(client: FeedClient | GetFeedCaller, o: GrpcLoadOptions): Promise<GrpcLoadReport> {
  const caller = "reportEvents" in client ? callerOf(client) : client;
  const total = Math.max(1, Math.floor((o.rate * o.durationMs) / 1000));
  const maxOutstanding = o.maxOutstanding ?? Math.max(1000, o.rate * 2);
  const ok = new LatencyHistogram();
  const all = new LatencyHistogram();
  const okFromSend = new LatencyHistogram();
  const sendLag = new LatencyHistogram();
  const codes: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  let outstanding = 0;
  let maxLag = 0;
  let seed = (o.seed ?? 1) >>> 0;
  const nextUser = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % o.users;
  };
  const count = (name: string): void => {
    codes[name] = (codes[name] ?? 0) + 1;
  };
  let gcMax = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
  });
  gc.observe({ entryTypes: ["gc"] });
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const maybeDone = (): void => {
    if (sent + (codes.client_overflow ?? 0) >= total && outstanding === 0) finish();
  };
  const issue = (dueAt: number): void => {
    if (outstanding >= maxOutstanding) {
      count("client_overflow");
      return;
    }
    outstanding++;
    sent++;
    const sentAt = performance.now();
    sendLag.recordMs(sentAt - dueAt);
    caller.getFeed(`u${nextUser()}`, o.count, o.deadlineMs).then((r) => {
      const now = performance.now();
      all.recordMs(now - dueAt);
      if (r.code === GrpcStatus.OK) {
        ok.recordMs(now - dueAt);
        okFromSend.recordMs(now - sentAt);
      }
      count(r.code < 0 ? "CLIENT_ERROR" : grpcStatusName(r.code));
      outstanding--;
      answered++;
      maybeDone();
    });
  };
  let issued = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) * o.rate) / 1000) + 1);
    if (due > issued) maxLag = Math.max(maxLag, now - (start + (issued * 1000) / o.rate));
    while (issued < due) {
      issue(start + (issued * 1000) / o.rate);
      issued++;
    }
    if (issued >= total) {
      clearInterval(timer);
      maybeDone();
    }
  }, 1);
  await done;
  gc.disconnect();
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const shed = codes[grpcStatusName(GrpcStatus.RESOURCE_EXHAUSTED)] ?? 0;
  return {
    rate: o.rate,
    durationMs: o.durationMs,
    sent,
    achievedRps: Math.round((answered / elapsed) * 1000 * 10) / 10,
    codes,
    ok: ok.summary(),
    all: all.summary(),
    shedShare: answered === 0 ? 0 : Math.round((shed / answered) * 10_000) / 10_000,
    maxScheduleLagMs: Math.round(maxLag * 100) / 100,
    sendLag: sendLag.summary(),
    okFromSend: okFromSend.summary(),
    generatorGcMaxMs: Math.round(gcMax * 100) / 100,
    generatorCpuShare: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 100) / 100,
  };
}
