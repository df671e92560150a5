import t from "tap";
import {
  PROTOCOL_VERSION,
  createCodec,
  structuresFingerprint,
  hash32,
  CodecError,
  type ActorMsg,
  type ActorMsgType,
  type Batch,
  type Envelope,
  type ReplyEnvelope,
  type FeedReply,
  type VideoStats,
} from "../../protocols/index.ts";

// One sample per message type. The mapped type makes a new message type fail to compile until it has one.
const samples: { [T in ActorMsgType]: Extract<ActorMsg, { type: T }> } = {
  "session.start": { type: "session.start", at: 1_700_000_000_000, cohort: "c3" },
  "session.tick": { type: "session.tick" },
  "feed.request": { type: "feed.request", count: 10, at: 5 },
  "session.watch": { type: "session.watch", videoId: "v1", watchMs: 12_345, durationMs: 30_000, at: 7 },
  "session.skip": { type: "session.skip", videoId: "v2", watchMs: 800, at: 8 },
  "session.like": { type: "session.like", videoId: "v3", at: 9 },
  "session.rewatch": { type: "session.rewatch", videoId: "v4", at: 10 },
  "session.share": { type: "session.share", videoId: "v5", at: 10 },
  "session.impression": { type: "session.impression", videoId: "v6", at: 10 },
  "session.leave": { type: "session.leave", at: 11 },
  "session.get-state": { type: "session.get-state" },
  "video.upload": { type: "video.upload", authorId: "a9", durationMs: 15_000, category: 4, at: 12 },
  "video.watch": { type: "video.watch", sessionKey: "u1", watchMs: 5000, durationMs: 9000, at: 13 },
  "video.engagement": { type: "video.engagement", stage: 1, watches: 280, watchRatioSum: 150.5, impressions: 300, watchMs: 1e6, completions: 40, skips: 90, likes: 12, rewatches: 3 },
  "video.get-stats": { type: "video.get-stats" },
  "video.set-stage": { type: "video.set-stage", stage: -1 },
  "cohort.join": { type: "cohort.join", userKey: "u5" },
  "cohort.leave": { type: "cohort.leave", userKey: "u5" },
  "cohort.summary": { type: "cohort.summary", category: 2, watches: 10, watchRatioSum: 6.25, completions: 3, skips: 4 },
  "viral.stage-result": { type: "viral.stage-result", videoId: "v7", stage: 0, category: 3, impressions: 300, watchRatio: 0.625, completion: 0.25, skipRate: 0.125 },
  "viral.new-video": { type: "viral.new-video", videoId: "v8", category: 2, at: 15 },
  "homog.summary": { type: "homog.summary", node: "n1", exposures: 1000, distinctVideos: 250, categoryCounts: [1, 2, 3], videoIds: [4, 5], videoCounts: [10, 20], ildSum: 12.5, feeds: 20 },
  "coord.get-state": { type: "coord.get-state" },
  "cohort.get-baselines": { type: "cohort.get-baselines" },
  "model.trained": { type: "model.trained", model: "ranker", version: "r-0003", metrics: { auc: 0.71 } },
  "integrity.signal": { type: "integrity.signal", subject: "session/u8", signal: "burst", weight: 0.5, at: 14 },
  "coord.tick": { type: "coord.tick" },
  "integrity.engagements": { type: "integrity.engagements", node: "n1", sessions: ["session/u1"], videos: [3], times: [99] },
};

t.test("codec - every message type survives a round trip, alone and in an envelope", (t) => {
  const enc = createCodec();
  const dec = createCodec(); // another node's codec instance
  for (const [type, msg] of Object.entries(samples)) {
    t.same(dec.decode(enc.encode(msg)), msg, type);
    const env: Envelope = { v: PROTOCOL_VERSION, to: "session/u1", msg, replyTo: "fyp.c.inbox.n1", corr: 42 };
    t.same(dec.decode(enc.encode(env)), env, `${type} in envelope`);
  }
  t.end();
});

t.test("codec - batches, replies and feed items round trip", (t) => {
  const enc = createCodec();
  const dec = createCodec();
  const batch: Batch = { v: PROTOCOL_VERSION, envelopes: Object.values(samples).map((msg, i) => ({ v: PROTOCOL_VERSION, to: `video/v${i}`, msg })) };
  t.same(dec.decode(enc.encode(batch)), batch);
  const feed: FeedReply = {
    modelVersion: "r-1",
    items: [
      { videoId: "v1", score: 0.75, reason: "popular in your cohort", modelVersion: "r-1", predictions: { watchRatio: 0.5, complete: 0.25, rewatch: 0.125, continue: 0.9, skipFast: 0.1 } },
      { videoId: "v2", score: 0.5, reason: "exploring", modelVersion: "r-1" },
    ],
  };
  const ok: ReplyEnvelope = { v: PROTOCOL_VERSION, corr: 1, ok: true, value: feed };
  const bad: ReplyEnvelope = { v: PROTOCOL_VERSION, corr: 2, ok: false, error: { code: "FYP_ERR_ASK_TIMEOUT", message: "late", retryable: true } };
  t.same(dec.decode(enc.encode(ok)), ok);
  t.same(dec.decode(enc.encode(bad)), bad);
  const stats: VideoStats = { videoId: "v1", stage: 2, impressions: 3, watchMs: 4, completions: 5, skips: 6, likes: 7, rewatches: 8, title: "t", tags: ["a", "b"], category: 1, durationMs: 9 };
  t.same(dec.decode(enc.encode(stats)), stats);
  t.end();
});

t.test("codec - known shapes use shared records and are smaller than self-described ones", (t) => {
  const codec = createCodec();
  const msg = samples["video.watch"];
  const known = codec.encode({ v: 1, to: "video/v1", msg }).length;
  const reordered = codec.encode({ to: "video/v1", v: 1, msg: { at: msg.at, type: msg.type, watchMs: msg.watchMs, durationMs: msg.durationMs, sessionKey: msg.sessionKey } }).length;
  t.ok(known < reordered, `shared-structure encoding (${known} B) beats inline records (${reordered} B)`);
  t.end();
});

t.test("codec - the shared structures are pinned to the protocol version", (t) => {
  // Changing SHARED_STRUCTURES changes the wire: bump PROTOCOL_VERSION and update this pin together.
  t.equal(PROTOCOL_VERSION, 1);
  t.equal(hash32(structuresFingerprint()).toString(16), "b858ebfc");
  t.end();
});

t.test("codec - garbage bytes are a typed error", (t) => {
  const codec = createCodec();
  t.throws(() => codec.decode(new Uint8Array([0xa5, 0x61])), CodecError, "truncated string");
  t.throws(() => codec.decode(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])), CodecError, "array longer than the bytes");
  t.end();
});
