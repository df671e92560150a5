import t from "tap";
import { runCli, spawnServe } from "../helpers/run-cli.ts";

/** `fyp serve` on free ports in its own process; resolves with its gRPC address. */
async function serve(t: { teardown(fn: () => unknown): void }, videos: number): Promise<string> {
  const s = spawnServe(["--port", "0", "--no-metrics", "--videos", String(videos), "--profile", "small", "--log-level", "warn", "--set", "storage.stateStore=memory"]);
  t.teardown(() => void s.child.kill("SIGKILL"));
  return (await s.ready).grpc;
}

t.test("cli - fyp loadtest against fyp serve: open-loop rate and closed-loop sessions, as a load-tester runs them", async (t) => {
  const address = await serve(t, 2000);

  const open = await runCli(["loadtest", "grpc", "--target", `grpc://${address}`, "--rate", "100", "--duration", "2", "--users", "50", "--deadline-ms", "5000"]);
  t.equal(open.code, 0, `open loop exits 0 ${open.stderr.slice(-800)}`);
  const o = JSON.parse(open.stdout.trim().split("\n").pop()!) as { sent: number; codes: Record<string, number>; ok: { count: number; p50: number; p99: number }; shedShare: number };
  t.equal(o.sent, 200, "100 req/s for 2 s: every scheduled request sent");
  t.same(o.codes, { OK: 200 }, "a light load is answered in full (statuses counted per code)");
  t.equal(o.ok.count, 200);
  t.ok(o.ok.p50 > 0 && o.ok.p99 >= o.ok.p50, `latency percentiles from the HDR histogram (p50 ${o.ok.p50} ms, p99 ${o.ok.p99} ms)`);
  t.equal(o.shedShare, 0);

  // the closed loop runs the user model on the server's synthetic world: same profile and catalog size
  const closed = await runCli(["loadtest", "--target", `grpc://${address}`, "--sessions", "5", "--duration", "2", "--speed", "50", "--profile", "small", "--set", "simulate.videos=2000"]);
  t.equal(closed.code, 0, `closed loop exits 0 ${closed.stderr.slice(-800)}`);
  const c = JSON.parse(closed.stdout.trim().split("\n").pop()!) as {
    mode: string; sessions: number; items: number; getFeed: { calls: number; codes: Record<string, number> }; reportEvents: { calls: number; codes: Record<string, number> };
  };
  t.equal(c.mode, "closed-loop");
  t.ok(c.getFeed.calls > 0 && c.getFeed.codes.OK === c.getFeed.calls, `every GetFeed answered OK (${c.getFeed.calls})`);
  t.ok(c.reportEvents.calls > 0 && c.reportEvents.codes.OK === c.reportEvents.calls, `viewers reported what they watched (${c.reportEvents.calls} ReportEvents)`);
  t.ok(c.items > 0, `items watched or skipped: ${c.items}`);

  const bad = await runCli(["loadtest", "grpc", "--target", `grpc://${address}`, "--rate", "0"]);
  t.not(bad.code, 0, "a bad flag is refused");
  t.match(bad.stderr, /--rate must be a positive integer \(got 0\)/, "naming the flag and the value");
});
