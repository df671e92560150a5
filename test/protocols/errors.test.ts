import t from "tap";
import {
  ErrorCode, FypError, MailboxFullError, AskTimeoutError, ConfigError, DatasetRowError, errorToWire, errorFromWire, subjects, shardOf, parseActorId,
} from "../../protocols/index.ts";

t.test("errors - codes are unique, stable and prefixed", (t) => {
  const codes = Object.values(ErrorCode);
  t.equal(new Set(codes).size, codes.length);
  for (const c of codes) t.match(c, /^FYP_ERR_[A-Z_]+$/);
  t.end();
});

t.test("errors - typed errors carry code, retryable and cause; survive the wire", (t) => {
  const cause = new Error("disk full");
  const e = new FypError(ErrorCode.StateStore, "x", { retryable: true, cause });
  t.equal(e.cause, cause);
  t.equal(new MailboxFullError("video/v1", 10).retryable, true);
  t.equal(new ConfigError("actors.throughput", 0, "must be >= 1").message, "config actors.throughput: must be >= 1 (got 0)");
  t.equal(new DatasetRowError("log.csv", 12, "play_time_ms", "not a number").message, "log.csv:12: column play_time_ms: not a number");
  const back = errorFromWire(errorToWire(new AskTimeoutError("session/u1", "feed.request", 50)));
  t.equal(back.code, "FYP_ERR_ASK_TIMEOUT");
  t.equal(back.retryable, true);
  t.match(back.message, /timed out after 50 ms/);
  t.equal(errorFromWire(errorToWire(new Error("plain"))).code, "FYP_ERR_INTERNAL");
  t.end();
});

t.test("subjects and shards - names are stable and reject unsafe tokens", (t) => {
  t.equal(subjects.shard("prod", 17), "fyp.prod.shard.17");
  t.equal(subjects.inbox("prod", "node-1"), "fyp.prod.inbox.node-1");
  t.throws(() => subjects.shard("a.b", 1), /not a valid subject token/);
  t.equal(shardOf("session/u123", 1024), shardOf("session/u123", 1024));
  const counts = new Array(16).fill(0);
  for (let i = 0; i < 16_000; i++) counts[shardOf(`session/u${i}`, 16)]++;
  t.ok(Math.min(...counts) > 800 && Math.max(...counts) < 1200, `shards are balanced: ${counts.join(",")}`);
  t.same(parseActorId("coord/viral/x"), { kind: "coord", key: "viral/x" });
  t.end();
});
