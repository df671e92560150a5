import t from "tap";
import { createServer, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { createGetFeedCaller, createGetFeedFrameCaller } from "../../../cluster/index.ts";
import { HpackDecoder, HpackError, huffmanDecode } from "../../../cluster/gateway/hpack.ts";
import { runGrpcLoad } from "../../../loadtest/index.ts";
import { gate, startTestFeedServer } from "../../helpers/feed-server.ts";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

t.test("hpack - RFC 7541 Appendix C.6: Huffman-coded responses through a dynamic table with eviction", async (t) => {
  t.equal(huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"), 0, 12), "www.example.com", "C.4.1");
  t.equal(huffmanDecode(hex("a8eb 1064 9cbf"), 0, 6), "no-cache", "C.4.2");
  t.throws(() => huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4"), 0, 11), HpackError, "a truncated code is not padding");

  const d = new HpackDecoder(256); // C.6 runs with a 256-byte table
  t.same(d.decode(hex("4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3")), [
    [":status", "302"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ], "C.6.1");
  t.equal(d.entries, 4);
  t.same(d.decode(hex("4883 640e ff c1 c0 bf")), [
    [":status", "307"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ], "C.6.2: ':status 302' evicted for ':status 307', the rest indexed");
  t.equal(d.entries, 4);
  t.throws(() => d.decode(hex("c6")), HpackError, "an index past the tables");
});

/**
 * A bare HTTP/2 server answering each GetFeed-shaped request with the status its user id names (`s<code>`) and
 * with `x-pad-*` headers of varied names and lengths, so the server's HPACK encoder Huffman-codes, indexes and
 * evicts on the way: a call decodes its status only if every block before it on the connection was decoded right.
 */
async function statusServer(t: { teardown(fn: () => unknown): void }): Promise<{ address: string; seen: string[] }> {
  const seen: string[] = [];
  const h2 = createServer();
  h2.on("stream", (stream: ServerHttp2Stream, headers) => {
    seen.push(`${headers[":method"]} ${headers[":path"]} ${headers["content-type"]} ${headers.te} ${headers["grpc-timeout"]} ${headers.authorization ?? "-"}`);
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const userId = body.subarray(7, 7 + body[6]!).toString(); // 5-byte prefix, tag 0x0a, length
      const code = Number(/^s(\d+)/.exec(userId)?.[1] ?? "0");
      const n = Number(/-(\d+)$/.exec(userId)?.[1] ?? "0");
      const pad = { [`x-pad-${n % 7}`]: "v".repeat((n * 37) % 300), "x-echo": userId };
      if (code !== 0) return stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": `no ${n}`, ...pad }, { endStream: true });
      stream.respond({ ":status": 200, "content-type": "application/grpc", ...pad }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "OK", [`x-trail-${n % 5}`]: String(n) }));
      stream.end(Buffer.alloc(5 + (n % 50)));
    });
  });
  await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
  t.teardown(() => h2.close());
  return { address: `127.0.0.1:${(h2.address() as AddressInfo).port}`, seen };
}

t.test("getfeed frame caller - decodes every status through node's HPACK encoder, and sends what the node:http2 caller sends", async (t) => {
  const { address, seen } = await statusServer(t);
  const frames = createGetFeedFrameCaller({ target: `grpc://${address}`, token: "tok", connections: 2 });
  const lean = createGetFeedCaller({ target: `grpc://${address}`, token: "tok" });
  t.teardown(() => {
    frames.close();
    lean.close();
  });
  await frames.waitReady(5000);
  await lean.waitReady(5000);
  const codes = [0, 0, 3, 8, 4, 14, 0, 16, 0, 13];
  const ids = Array.from({ length: 600 }, (_, i) => `s${codes[i % codes.length]}-${i}`);
  const got = await Promise.all(ids.map((id) => frames.getFeed(id, 5, 5000)));
  t.same(got.map((r) => r.code), ids.map((_, i) => codes[i % codes.length]), "600 calls, each with its own status");
  t.same(got.map((r) => r.bytes), ids.map((_, i) => (codes[i % codes.length] === 0 ? 5 + (i % 50) : 0)), "and the message bytes of the OK ones");
  const viaLean = await lean.getFeed("s8-3", 5, 5000);
  t.same(await frames.getFeed("s8-3", 5, 5000), viaLean, "the same outcome as the node:http2 caller");
  t.equal(seen.at(-1), seen.at(-2), "the same request headers as the node:http2 caller");
  t.equal(seen[0], "POST /fyp.v1.FeedService/GetFeed application/grpc trailers 5000m Bearer tok");
});

t.test("getfeed frame caller - a connection the server drops fails its calls UNAVAILABLE, and the next call reconnects", async (t) => {
  const h2 = createServer();
  let drop = true;
  h2.on("stream", (stream: ServerHttp2Stream) => {
    stream.resume();
    if (drop) return stream.session!.destroy();
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "0" }, { endStream: true });
  });
  await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
  const caller = createGetFeedFrameCaller({ target: `127.0.0.1:${(h2.address() as AddressInfo).port}` });
  t.teardown(() => {
    caller.close();
    h2.close();
  });
  await caller.waitReady(5000);
  t.equal((await caller.getFeed("u1", 1, 5000)).code, 14, "UNAVAILABLE");
  drop = false;
  t.same(await caller.getFeed("u2", 1, 5000), { code: 0, bytes: 0 }, "a new connection serves the next call");
  const pending = caller.getFeed("u3", 1, 5000);
  caller.close();
  t.equal((await pending).code, 1, "close() answers calls in flight CANCELLED");
});

t.test("getfeed frame caller - against the real feed server: OK, INVALID_ARGUMENT, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED", async (t) => {
  const srv = await startTestFeedServer({ "grpc.maxInFlight": 1 });
  const caller = createGetFeedFrameCaller({ target: `grpc://${srv.address}` });
  t.teardown(async () => {
    caller.close();
    await srv.close();
  });
  await caller.waitReady(5000);
  const ok = await caller.getFeed("u-frames", 5, 2000);
  t.equal(ok.code, 0);
  t.ok(ok.bytes > 50, `a feed came back (${ok.bytes} bytes)`);
  t.equal((await caller.getFeed("bad/id", 5, 2000)).code, 3, "INVALID_ARGUMENT");
  const g = gate();
  srv.services.gate = g;
  const active = srv.system.events.next("activated", (e) => e.id === "session/u-held");
  const held = caller.getFeed("u-held", 5, 150);
  await active;
  t.equal((await caller.getFeed("u-other", 5, 2000)).code, 8, "RESOURCE_EXHAUSTED while the one slot is held");
  t.equal((await held).code, 4, "DEADLINE_EXCEEDED");
  g.open();
  const r = await runGrpcLoad(caller, { rate: 400, durationMs: 250, users: 20, count: 3, deadlineMs: 5000, maxOutstanding: 1000, seed: 5 });
  t.equal(r.sent, 100);
  t.equal((r.codes.OK ?? 0) + (r.codes.RESOURCE_EXHAUSTED ?? 0), 100, `every call of an open-loop run answered, served or shed (${JSON.stringify(r.codes)})`);
});
