import t from "tap";
import { applyWatch, markServed, newSessionModel, sessionModelFromPlain, sessionModelToPlain, type FeedVideo, type SessionModel } from "../../../models/index.ts";

const P = { dims: 4, categories: 3, seenWindow: 50, recentMax: 5, shortRate: 0.3, longDecay: 0.99, discoveryPrior: 2 };
const video = (id: number, category = id % 3): FeedVideo =>
  ({ id, category, authorId: 1, durationMs: 10_000, vector: Float32Array.of(1, 0, 0, 0) }) as unknown as FeedVideo;
const seenIds = (m: SessionModel): number[] => [...new Set(m.seen)].filter((id) => id >= 0).sort((a, b) => a - b);

t.test("session model - the seen ring grows with use and then keeps exactly the last window", async (t) => {
  const m = newSessionModel(P);
  t.equal(m.seen.length, 0, "a new session holds no seen buffer");
  for (let id = 0; id < 20; id++) markServed(m, P, video(id));
  t.ok(m.seen.length >= 20 && m.seen.length < P.seenWindow, `grown to ${m.seen.length} slots, not the whole window`);
  t.same(seenIds(m), Array.from({ length: 20 }, (_, i) => i));
  for (let id = 20; id < 130; id++) markServed(m, P, video(id));
  t.equal(m.seen.length, P.seenWindow, "never more than the window");
  t.same(seenIds(m), Array.from({ length: 50 }, (_, i) => 80 + i), "the last 50 served, the oldest evicted");
  t.equal(m.served, 130);
});

t.test("session model - plain round trip keeps the seen window and its eviction order", async (t) => {
  for (const served of [0, 7, 50, 73]) {
    const m = newSessionModel(P);
    for (let id = 0; id < served; id++) markServed(m, P, video(id));
    const back = sessionModelFromPlain(structuredClone(sessionModelToPlain(m)));
    t.same(seenIds(back), seenIds(m), `${served} served: same seen set`);
    // the next 50 served push out exactly the same ids in both
    for (let id = 1000; id < 1050; id++) {
      markServed(m, P, video(id));
      markServed(back, P, video(id));
      t.same(seenIds(back), seenIds(m));
    }
  }
});

t.test("session model - sessions share the discovery prior until their first observation, then own a copy", async (t) => {
  const a = newSessionModel(P);
  const b = newSessionModel(P);
  t.equal(a.discovery, b.discovery, "one prior object for fresh sessions");
  const prior = [...a.discovery.a];
  applyWatch(a, P, video(1, 1), 1, 0);
  t.not(a.discovery, b.discovery, "copied on the first observation");
  t.same(b.discovery.a, prior, "the shared prior is untouched");
  t.equal(a.discovery.a[1], prior[1]! + 1, "the observation lands in the session's own copy");
  t.equal(a.discovery.observed, 1);
  t.equal(newSessionModel(P).discovery.observed, 0);
});

t.test("session model - a model restored through the codec is the model it was, bit for bit, in fresh arrays of doubles", async (t) => {
  const { createCodec } = await import("../../../protocols/index.ts");
  const { setFlagsFromString } = await import("node:v8");
  const codec = createCodec();
  const vec = (i: number): Float32Array => Float32Array.of(Math.sin(i), Math.cos(i), 0.25, -0.5);
  const watch = (m: SessionModel, i: number): number =>
    applyWatch(m, P, ({ id: i, category: i % 3, authorId: 1, durationMs: 7_000 + i, vector: vec(i) }) as unknown as FeedVideo, (i % 7) / 4, 1000 + i, { liked: i % 5 === 0 });
  const a = newSessionModel(P);
  for (let i = 0; i < 12; i++) {
    markServed(a, P, video(i));
    watch(a, i);
  }
  const b = sessionModelFromPlain(codec.decode(codec.encode(sessionModelToPlain(a))) as never);
  t.same(sessionModelToPlain(b), sessionModelToPlain(a), "the same fields");
  // both go on the same way: the same doubles after more watches
  for (let i = 12; i < 40; i++) t.equal(watch(b, i), watch(a, i));
  t.same(sessionModelToPlain(b), sessionModelToPlain(a));
  t.ok(a.short.every((x, d) => Object.is(x, b.short[d])) && a.long.every((x, c) => Object.is(x, b.long[c])), "interests bit for bit");
  // the elements kind a fresh model's arrays have (code reading models stays monomorphic)
  setFlagsFromString("--allow-natives-syntax");
  const doublesKind = new Function("a", "return %HasDoubleElements(a)") as (a: unknown) => boolean;
  const fresh = newSessionModel(P);
  const restored = sessionModelFromPlain(codec.decode(codec.encode(sessionModelToPlain(fresh))) as never);
  for (const m of [a, b, fresh, restored]) {
    for (const arr of [m.short, m.long, m.catShown, m.catEngaged, m.discovery.a, m.discovery.b]) t.ok(doublesKind(arr), "double elements");
  }
});
