import { readFileSync } from "node:fs";
import { createFeedClient } from "../../cluster/index.ts";
import { runGrpcLoad } from "../../loadtest/index.ts";
import type { Command } from "../cli.ts";

function positiveInt(v: unknown, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer (got ${String(v)})`);
  return n;
}

export const loadtestCommand: Command = {
  name: "loadtest",
  summary: "drive a running server: `fyp loadtest grpc --target grpc://host:port --rate R --duration S`",
  usage: `fyp loadtest grpc --target grpc://HOST:PORT [--rate R] [--duration SECONDS] [--users N] [--count K]
                    [--deadline-ms MS] [--ca FILE] [--server-name NAME] [--token-file FILE]
  Open-loop constant-rate GetFeed load (requests go out on schedule whether or not earlier ones have answered;
  latency counts from the scheduled time). Prints one JSON report: status counts, achieved rate, HDR latency
  percentiles (p50/p90/p99/p99.9/max) of OK answers and of all answers, and the share shed (RESOURCE_EXHAUSTED).
  grpcs://HOST:PORT uses TLS (--ca for a private CA); --token-file holds the bearer token.`,
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
  },
  async run(ctx) {
    const v = ctx.values;
    if (ctx.positionals[0] !== "grpc") throw new Error(`fyp loadtest: expected the driver "grpc" (got ${ctx.positionals[0] ?? "none"})`);
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
      const report = await runGrpcLoad(client, {
        rate,
        durationMs: durationS * 1000,
        users: positiveInt(v.users, "users", 10_000),
        count: positiveInt(v.count, "count", 10),
        deadlineMs: positiveInt(v["deadline-ms"], "deadline-ms", 1000),
      });
      ctx.out(JSON.stringify({ target: v.target, ...report }));
      return report.sent > 0 && (report.codes.OK ?? 0) > 0 ? 0 : 1;
    } finally {
      client.close();
    }
  },
};
