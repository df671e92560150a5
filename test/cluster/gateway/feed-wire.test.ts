import t from "tap";
import protobuf from "protobufjs";
import { FEED_PROTO_PATH, type fypv1 } from "../../../protocols/index.ts";
import { encodeGetFeedResponse } from "../../../cluster/gateway/feed-wire.ts";

const type = protobuf.loadSync(FEED_PROTO_PATH).lookupType("fyp.v1.GetFeedResponse");
const decode = (b: Buffer) => type.toObject(type.decode(b), { longs: Number, defaults: true }) as fypv1.GetFeedResponse;

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test("feed wire - hand-encoded GetFeedResponse decodes with protobufjs to the same message", async (t) => {
  const r = rng(7);
  const strs = ["", "v1", "v" + "9".repeat(40), "similar to what you watched", "exploring ü 😀", "x".repeat(300)];
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const num = () => pick([0, -0.5, 1, 1e-300, 123.456, -1e12, Number.MAX_VALUE, r()]);
  for (let n = 0; n < 300; n++) {
    const items: fypv1.FeedItem[] = Array.from({ length: Math.floor(r() * 25) }, () => ({
      videoId: pick(strs),
      score: num(),
      reason: pick(strs),
      modelVersion: pick(strs),
      predictions: r() < 0.2 ? null : { watchRatio: num(), complete: num(), rewatch: num(), continueSession: num(), skipFast: num() },
    }));
    const msg: fypv1.GetFeedResponse = { items, modelVersion: pick(strs), servedAtMs: pick([0, 1, 127, 128, 1_700_000_000_123, Number.MAX_SAFE_INTEGER]) };
    const buf = encodeGetFeedResponse(msg);
    t.ok(buf !== null);
    const back = decode(buf!);
    t.same(back, msg, `message ${n}`, { diagnostic: false });
    // and byte for byte what protobufjs itself writes for the same message
    t.same(buf, Buffer.from(type.encode(type.fromObject(msg)).finish()), `bytes ${n}`, { diagnostic: false });
  }
});

t.test("feed wire - input it does not handle is left to the generic serializer", async (t) => {
  t.equal(encodeGetFeedResponse({ items: [], modelVersion: "m", servedAtMs: -1 }), null);
  t.equal(encodeGetFeedResponse({ items: [], modelVersion: "m", servedAtMs: 1.5 }), null);
});
