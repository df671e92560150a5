import t from "tap";
import { createFeedClient } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { SyntheticWorld, worldParamsFor } from "../../models/index.ts";
import { runClosedLoop } from "../../loadtest/index.ts";
import { startTestFeedServer } from "../helpers/feed-server.ts";

t.test("closed loop - behavioural sessions watch what they are served and report it over gRPC", async (t) => {
  // This test is about the sessions' behaviour, not shedding: a CPU-starved CI machine must not turn
  // event-loop-delay admission or a tight deadline into refusals here (shedding has its own tests).
  const server = await startTestFeedServer({ "grpc.maxEventLoopDelayMs": 0 });
  t.teardown(() => server.close());
  const client = createFeedClient({ target: `grpc://${server.address}` });
  t.teardown(() => client.close());
  await client.waitReady(5000);
  const config = loadConfig({ env: {} });
  const world = new SyntheticWorld(worldParamsFor(""), 42, 1000, 1000);
  const report = await runClosedLoop(client, {
    sessions: 20, durationMs: 1500, count: 5, deadlineMs: 20_000, speed: 2000, world, params: { ...config.simulate }, userPrefix: "cl-", rampMs: 100,
    // a starved CI machine answers fewer calls in 1.5 s: the run waits for the traffic the assertions need
    minGetFeedCalls: 21,
  });
  t.ok(report.started >= 20, `${report.started} sessions started (a seat is refilled when a viewer leaves)`);
  t.ok(report.getFeed.calls > 20 && report.getFeed.codes.OK === report.getFeed.calls, `${report.getFeed.calls} GetFeed, all OK`);
  t.ok(report.items > report.getFeed.calls, `${report.items} items watched from ${report.getFeed.calls} pages`);
  t.equal(report.reportEvents.codes.OK, report.reportEvents.calls, "every ReportEvents OK");
  t.same(report.getFeed.samples, {}, "no failure, no sample");
  t.ok(report.events >= report.items, "one or more events per item (likes, rewatches, session ends)");
  t.ok(report.skipRate > 0 && report.skipRate < 1 && report.watchPerItemS > 0, `choice model at work (skip ${report.skipRate})`);
  t.ok(report.getFeed.latency.p99 > 0 && report.getFeed.latency.count === report.getFeed.calls, "latency histogram filled");
  t.equal(report.unknownVideos, 0, "every served id is in the client's catalog");
  t.ok(report.peakActive <= 20, `never more than the seats in flight (${report.peakActive})`);
});

t.test("closed loop - a refusing server is counted by status, and sessions back off instead of spinning", async (t) => {
  const server = await startTestFeedServer({ "grpc.maxFeedCount": 2 });
  t.teardown(() => server.close());
  const client = createFeedClient({ target: `grpc://${server.address}` });
  t.teardown(() => client.close());
  await client.waitReady(5000);
  const config = loadConfig({ env: {} });
  const world = new SyntheticWorld(worldParamsFor(""), 42, 1000, 1000);
  const report = await runClosedLoop(client, {
    sessions: 5, durationMs: 600, count: 5, deadlineMs: 2000, speed: 100, world, params: { ...config.simulate }, userPrefix: "bad-", rampMs: 10,
  });
  t.ok((report.getFeed.codes.INVALID_ARGUMENT ?? 0) > 0, "INVALID_ARGUMENT counted");
  t.match(report.getFeed.samples.INVALID_ARGUMENT, /count: must be an integer in \[1, 2\]/, "with the first refusal's message as a sample");
  t.same(Object.keys(report.getFeed.samples), Object.keys(report.getFeed.codes), "one sample per failing status, none for OK");
  t.equal(report.getFeed.codes.OK ?? 0, 0);
  t.equal(report.items, 0);
  t.ok(report.getFeed.calls < 5 * 600, `bounded retries (${report.getFeed.calls} calls in 600 ms)`);
});
