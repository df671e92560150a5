import { readFileSync } from "node:fs";
import { createFeedClient, createGetFeedFrameCaller, parseTarget } from "../../cluster/index.ts";
import { runClosedLoop, runGrpcLoad } from "../../loadtest/index.ts";
import { SyntheticWorld, worldParamsFor } from "../../models/index.ts";
import type { Command } from "../cli.ts";

function positiveInt(v: unknown, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer (got ${String(v)})`);
  return n;
}

export const loadtestCommand: Command = {
  name: "loadtest",
  summary: "drive a running server: closed-loop `--sessions N` viewers or open-loop `--rate R` GetFeeds over gRPC",
  usage: `fyp loadtest grpc --target grpc://HOST:PORT [--rate R] [--duration SECONDS] [--users N] [--count K]
                    [--deadline-ms MS] [--ca FILE] [--server-name NAME] [--token-file FILE]
  Open-loop constant-rate GetFeed load (requests go out on schedule whether or not earlier ones have answered;
  latency counts from the scheduled time). Prints one JSON report: status counts, achieved rate, HDR latency
  percentiles (p50/p90/p99/p99.9/max) of OK answers and of all answers, and the share shed (RESOURCE_EXHAUSTED).
  grpcs://HOST:PORT uses TLS (--ca for a private CA); --token-file holds the bearer token.
fyp loadtest --target grpc://HOST:PORT --sessions N [--duration SECONDS] [--speed X] [--count K] [--deadline-ms MS]
  Closed-loop behavioural sessions: N simulated viewers (the user model of fyp simulate, on the synthetic world of
  this config: run it with the server's --profile/--set so the catalogs match) each ask for a feed, watch each item
  for as long as the choice model says (divided by --speed; 1 = real time), report it with ReportEvents, think, and
  leave by the leave model (SESSION_END; a new user takes the seat). Prints one JSON report: sessions held (peak),
  items and events/s, GetFeed and ReportEvents latency percentiles (HDR) and status counts.`,
  options: {
    target: { type: "string" },
    rate: { type: "string" },
    duration: { type: "string" },
    users: { type: "string" },
    count: { type: "string" },
    "deadline-ms": { type: "string" },
    ca: { type: "string" },
    "server-name": { type: "string" },
    "token-file": { type: "string" },
    sessions: { type: "string" },
    speed: { type: "string" },
  },
  async run(ctx) {
    const v = ctx.values;
    const closedLoop = v.sessions !== undefined;
    if (ctx.positionals[0] !== "grpc" && !(closedLoop && ctx.positionals.length === 0)) {
      throw new Error(`fyp loadtest: expected the driver "grpc" or --sessions N (got ${ctx.positionals[0] ?? "none"})`);
    }
    if (typeof v.target !== "string") throw new Error("fyp loadtest grpc: --target grpc://HOST:PORT is required");
    const rate = positiveInt(v.rate, "rate", 500);
    const durationS = positiveInt(v.duration, "duration", 10);
    const client = createFeedClient({
      target: v.target,
      caPem: typeof v.ca === "string" ? readFileSync(v.ca) : undefined,
      serverName: typeof v["server-name"] === "string" ? v["server-name"] : undefined,
      token: typeof v["token-file"] === "string" ? readFileSync(v["token-file"], "utf8").trim() : undefined,
    });
    try {
      await client.waitReady(10_000);
      if (closedLoop) {
        const config = ctx.config();
        const speed = v.speed === undefined ? 1 : Number(v.speed);
        if (!(speed > 0)) throw new Error(`--speed must be a positive number (got ${String(v.speed)})`);
        const world = new SyntheticWorld(worldParamsFor(config.synthetic.params), config.synthetic.seed, config.synthetic.users, config.simulate.videos);
        const report = await runClosedLoop(client, {
          sessions: positiveInt(v.sessions, "sessions", 1),
          durationMs: durationS * 1000,
          count: positiveInt(v.count, "count", 10),
          deadlineMs: positiveInt(v["deadline-ms"], "deadline-ms", 1000),
          speed,
          world,
          params: { ...config.simulate },
          userPrefix: `lt${process.pid}-`,
        });
        ctx.out(JSON.stringify({ target: v.target, mode: "closed-loop", ...report }));
        return (report.getFeed.codes.OK ?? 0) > 0 ? 0 : 1;
      }
      // Plaintext targets get the frame-level HTTP/2 caller (pre-encoded requests, like h2load): the grpc-js
      // client, and node:http2's too, cost about as much CPU per call as the server does, which on a shared
      // machine is taken from the server being measured and shows up as latency.
      const lean = !parseTarget(v.target).tls && v.ca === undefined && v["server-name"] === undefined;
      const token = typeof v["token-file"] === "string" ? readFileSync(v["token-file"], "utf8").trim() : undefined;
      const caller = lean ? createGetFeedFrameCaller({ target: v.target, token, connections: 2 }) : null;
      await caller?.waitReady(10_000);
      const report = await runGrpcLoad(caller ?? client, {
        rate,
        durationMs: durationS * 1000,
        users: positiveInt(v.users, "users", 10_000),
        count: positiveInt(v.count, "count", 10),
        deadlineMs: positiveInt(v["deadline-ms"], "deadline-ms", 1000),
      });
      caller?.close();
      ctx.out(JSON.stringify({ target: v.target, ...report }));
      return report.sent > 0 && (report.codes.OK ?? 0) > 0 ? 0 : 1;
    } finally {
      client.close();
    }
  },
};
