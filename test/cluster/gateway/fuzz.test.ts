import t from "tap";
import protobuf from "protobufjs";
import { FEED_PROTO_PATH } from "../../../protocols/index.ts";
import { grpc, rawClient, startTestFeedServer } from "../../helpers/feed-server.ts";

const Status = grpc.status;
const TOTAL = 10_000;
const CONCURRENCY = 64;

/** mulberry32: a small seeded generator, so a failing run can be replayed exactly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test("fuzz - 10,000 seeded random and malformed requests: every one gets a status, the server stays up", async (t) => {
  const seed = Number(process.env.FYP_FUZZ_SEED ?? 20240607);
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  // In-flight admission (48 < 64 concurrent) is part of the mix; the event-loop-delay check is not: on a busy
  // machine it shed most of the run, malformed requests included (admission runs before validation).
  const srv = await startTestFeedServer({ "grpc.maxInFlight": 48, "grpc.maxEventLoopDelayMs": 0 });
  const c = rawClient(srv.address);
  t.teardown(async () => {
    c.close();
    await srv.close();
  });
  const root = protobuf.loadSync(FEED_PROTO_PATH);
  const type = (n: string) => root.lookupType(`fyp.v1.${n}`);

  const now = Date.now();
  const str = (): string =>
    pick([
      "", "u1", "v42", "user_" + Math.floor(r() * 1e6), "a".repeat(128), "a".repeat(129), "a/b", "../etc", "ü-ser", "x y",
      "\u0000", "tab\there", "😀", "u:1.2-3_4", "-", ".", "DROP TABLE", "a".repeat(Math.floor(r() * 300)),
    ]);
  const int = (): number =>
    pick([0, 1, -1, 2, 5, 99, 100, 101, 1000, 2 ** 31 - 1, -(2 ** 31), Math.floor(r() * 200) - 50]);
  const time = (): number => pick([0, 1, -1, now, now - 3_600_000, now + 60_000, now + 86_400_000, now - 30 * 86_400_000, 2 ** 52]);
  const eventType = (): string | number => pick(["EVENT_TYPE_WATCH", "EVENT_TYPE_SKIP", "EVENT_TYPE_LIKE", "EVENT_TYPE_IMPRESSION", "EVENT_TYPE_SESSION_END", "EVENT_TYPE_UNSPECIFIED", 0, 3, 7, 8, 99]);
  const event = () => ({ userId: str(), type: eventType(), videoId: str(), watchMs: pick([0, 5, -5, 30_000, 1e10]), durationMs: pick([0, 1, 15_000, -1, 1e9]), atMs: time() });
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
  const mutate = (b: Uint8Array): Buffer => {
    const out = Buffer.from(b);
    for (let i = 0; i < 1 + Math.floor(r() * 3) && out.length > 0; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  };
  const paths = ["GetFeed", "UploadVideo", "GetVideoStats", "GetClusterStatus"];
  const reqTypes: Record<string, string> = { GetFeed: "GetFeedRequest", UploadVideo: "UploadVideoRequest", GetVideoStats: "GetVideoStatsRequest", GetClusterStatus: "GetClusterStatusRequest" };

  const rawUnary = (method: string, body: Buffer): Promise<number> =>
    new Promise((resolve) =>
      c.client.makeUnaryRequest(`/fyp.v1.FeedService/${method}`, (b: Buffer) => b, (b: Buffer) => b, body, new grpc.Metadata(), { deadline: Date.now() + 20_000 }, (e) =>
        resolve(e ? e.code : Status.OK),
      ),
    );
  const rawStream = (chunks: Buffer[]): Promise<number> =>
    new Promise((resolve) => {
      const s = c.client.makeClientStreamRequest("/fyp.v1.FeedService/ReportEvents", (b: Buffer) => b, (b: Buffer) => b, new grpc.Metadata(), { deadline: Date.now() + 20_000 }, (e) =>
        resolve(e ? e.code : Status.OK),
      );
      for (const ch of chunks) s.write(ch);
      s.end();
    });
  const code = (p: Promise<unknown>): Promise<number> => p.then(() => Status.OK, (e: grpc.ServiceError) => e.code);

  /** One random request; resolves with the status code the client got. */
  function one(): Promise<number> {
    const kind = r();
    if (kind < 0.3) {
      return code(c.GetFeed({ userId: str(), count: int(), context: r() < 0.5 ? null : { atMs: time(), device: str(), locale: pick(["", "en-US", "xx_YY", "de", str()]), sessionId: str() } }, { deadlineMs: 20_000 }));
    }
    if (kind < 0.45) return code(c.ReportEvents(Array.from({ length: 1 + Math.floor(r() * 5) }, event), { deadlineMs: 20_000 }));
    if (kind < 0.55) {
      return code(c.UploadVideo({ videoId: str(), authorId: str(), durationMs: pick([0, 1, 15_000, -3, 1e9]), category: int(), title: str(), tags: Array.from({ length: Math.floor(r() * 40) }, str), atMs: time() }, { deadlineMs: 20_000 }));
    }
    if (kind < 0.62) return code(c.GetVideoStats({ videoId: str() }, { deadlineMs: 20_000 }));
    if (kind < 0.65) return code(c.GetClusterStatus({}, { deadlineMs: 20_000 }));
    const method = pick(paths);
    if (kind < 0.8) return rawUnary(method, bytes(Math.floor(r() * 64)));
    if (kind < 0.92) {
      const msg = method === "GetFeed" ? { userId: "u1", count: 3, context: { atMs: now } } : { videoId: "v1", authorId: "a1", durationMs: 10, title: "t", tags: ["x"] };
      return rawUnary(method, mutate(type(reqTypes[method]!).encode(type(reqTypes[method]!).fromObject(msg)).finish()));
    }
    const good = type("Event").encode(type("Event").fromObject({ userId: "u1", type: 4, videoId: "v1" })).finish();
    return rawStream(Array.from({ length: 1 + Math.floor(r() * 4) }, () => (r() < 0.5 ? mutate(good) : bytes(Math.floor(r() * 32)))));
  }

  const counts = new Map<number, number>();
  let issued = 0;
  let answered = 0;
  const worker = async (): Promise<void> => {
    while (issued < TOTAL) {
      issued++;
      const st = await one();
      answered++;
      counts.set(st, (counts.get(st) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const byName = Object.fromEntries([...counts].map(([k, v]) => [Status[k] ?? k, v]));
  t.equal(answered, TOTAL, `every request answered (seed ${seed}): ${JSON.stringify(byName)}`);
  const allowed = new Set<number>([Status.OK, Status.INVALID_ARGUMENT, Status.RESOURCE_EXHAUSTED]);
  const unexpected = [...counts.keys()].filter((k) => !allowed.has(k)).map((k) => `${Status[k] ?? k}: ${counts.get(k)}`);
  t.same(unexpected, [], "only OK, INVALID_ARGUMENT or RESOURCE_EXHAUSTED: no INTERNAL, UNKNOWN, UNAVAILABLE or timeouts");
  t.ok((counts.get(Status.OK) ?? 0) > 500, "valid requests among the noise are served");
  t.ok((counts.get(Status.INVALID_ARGUMENT) ?? 0) > 3000, "malformed ones are refused as the client's fault");
  const after = await c.GetFeed({ userId: "after-fuzz", count: 4 }, { deadlineMs: 5000 });
  t.equal(after.items.length, 4, "the server still serves afterwards");
});
