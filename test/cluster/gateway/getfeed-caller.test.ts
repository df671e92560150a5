import t from "tap";
import { connect, createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { createGetFeedCaller, encodeGetFeedRequest } from "../../../cluster/index.ts";
import { RECEIVE_WINDOW_BYTES } from "../../../cluster/gateway/getfeed-caller.ts";
import { runGrpcLoad } from "../../../loadtest/index.ts";
import protobuf from "protobufjs";
import { FEED_PROTO_PATH } from "../../../protocols/index.ts";
import { gate, startTestFeedServer } from "../../helpers/feed-server.ts";

t.test("getfeed caller - the hand-encoded request decodes as fyp.v1.GetFeedRequest", async (t) => {
  const type = protobuf.loadSync(FEED_PROTO_PATH).lookupType("fyp.v1.GetFeedRequest");
  for (const [userId, count] of [["u1", 10], ["ü-ñ", 0], ["x".repeat(200), 300], ["u", 2 ** 31 - 1]] as const) {
    const frame = encodeGetFeedRequest(userId, count);
    t.equal(frame[0], 0, "not compressed");
    t.equal(frame.readUInt32BE(1), frame.length - 5, "length prefix");
    const msg = type.toObject(type.decode(frame.subarray(5)), { defaults: true }) as { userId: string; count: number };
    t.same({ userId: msg.userId, count: msg.count }, { userId, count });
  }
  t.throws(() => encodeGetFeedRequest("u", -1), RangeError);
});

t.test("getfeed caller - OK, a refusal by field, and a deadline, against a real server", async (t) => {
  const srv = await startTestFeedServer();
  const caller = createGetFeedCaller({ target: `grpc://${srv.address}` });
  t.teardown(async () => {
    caller.close();
    await srv.close();
  });
  await caller.waitReady(5000);
  const ok = await caller.getFeed("u-lean", 5, 2000);
  t.equal(ok.code, 0, "OK");
  t.ok(ok.bytes > 50, `a response message came back (${ok.bytes} bytes)`);
  const bad = await caller.getFeed("bad/id", 5, 2000);
  t.equal(bad.code, 3, "INVALID_ARGUMENT for a malformed user id");
  t.equal(bad.bytes, 0);
  const tooMany = await caller.getFeed("u-lean", 100_000, 2000);
  t.equal(tooMany.code, 3, "INVALID_ARGUMENT for a count over the limit");

  // a feed held at a gate outlives its deadline
  const g = gate();
  srv.services.gate = g;
  const late = await caller.getFeed("u-held", 5, 150);
  g.open();
  t.equal(late.code, 4, "DEADLINE_EXCEEDED");
});

t.test("getfeed caller - the open-loop generator counts every answer", async (t) => {
  // admission by event-loop delay off: a loaded CI machine must not turn this into a shedding test
  const srv = await startTestFeedServer({ "grpc.maxEventLoopDelayMs": 0 });
  const caller = createGetFeedCaller({ target: srv.address });
  t.teardown(async () => {
    caller.close();
    await srv.close();
  });
  await caller.waitReady(5000);
  const r = await runGrpcLoad(caller, { rate: 200, durationMs: 500, users: 50, count: 3, deadlineMs: 5000, seed: 3 });
  t.equal(r.sent, 100);
  t.same(r.codes, { OK: 100 });
  t.equal(r.ok.count, 100);
  t.equal(r.okFromSend.count, 100);
  t.equal(r.sendLag.count, 100);
  t.ok(r.okFromSend.p50 <= r.ok.p50, "latency from the send is never above latency from the due time");
});

t.test("getfeed caller - opens a receive window a paused load generator cannot exhaust (HTTP/2 flow control)", async (t) => {
  // A bare HTTP/2 server that reports how much it may send on the connection unacknowledged when a request arrives.
  const windows: number[] = [];
  const h2 = createServer();
  h2.on("stream", (stream) => {
    windows.push(stream.session!.state.remoteWindowSize!);
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "0" }, { endStream: true });
  });
  await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
  const address = `127.0.0.1:${(h2.address() as AddressInfo).port}`;
  const caller = createGetFeedCaller({ target: address });
  const plain = connect(`http://${address}`);
  t.teardown(() => {
    caller.close();
    plain.close();
    h2.close();
  });
  t.same(await caller.getFeed("u1", 1, 5000), { code: 0, bytes: 0 });
  t.equal(windows[0], RECEIVE_WINDOW_BYTES, "the server may send 16 MiB of answers before the caller acknowledges any");
  // the control: a node:http2 session left at its defaults
  await new Promise<void>((resolve) => {
    const s = plain.request({ ":method": "POST", ":path": "/x" });
    s.on("response", () => undefined);
    s.on("close", resolve);
    s.resume();
    s.end();
  });
  t.equal(windows[1], 65_535, "HTTP/2's default window: ~90 GetFeed answers");
});
