import t from "tap";
import { request } from "node:http";
import * as protoLoader from "@grpc/proto-loader";
import { service as healthService } from "grpc-health-check";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gate, grpc, rawClient, startTestFeedServer, statusOf, type TestSessionState } from "../../helpers/feed-server.ts";

const Status = grpc.status;

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

t.test("feed service - every RPC answers its happy path over a real server and client", async (t) => {
  const srv = await startTestFeedServer();
  const c = rawClient(srv.address);
  t.teardown(async () => {
    c.close();
    await srv.close();
  });

  const before = Date.now();
  const feed = await c.GetFeed({ userId: "u-never-seen", count: 5, context: { device: "ios", locale: "en-US" } });
  t.equal(feed.items.length, 5, "an unknown user gets a feed: a new, cold session");
  t.equal(feed.modelVersion, "test-v1");
  t.ok(feed.servedAtMs >= before && feed.servedAtMs <= Date.now(), "served_at_ms is the server's time");
  const first = feed.items[0];
  t.match(first, { videoId: /^v\d+$/, reason: "new video being tested", modelVersion: "test-v1" });
  t.ok(first.score > feed.items[4].score, "items come ranked");
  t.same(first.predictions, { watchRatio: 0.5, complete: 0.3, rewatch: 0.1, continueSession: 0.8, skipFast: 0.2 });

  const now = Date.now();
  const events = [
    { userId: "u-never-seen", type: "EVENT_TYPE_IMPRESSION", videoId: "v7" },
    { userId: "u-never-seen", type: "EVENT_TYPE_WATCH", videoId: "v7", watchMs: 12_000, durationMs: 15_000, atMs: now },
    { userId: "u-never-seen", type: "EVENT_TYPE_SKIP", videoId: "v8", watchMs: 900 },
    { userId: "u-never-seen", type: "EVENT_TYPE_LIKE", videoId: "v7" },
    { userId: "u-never-seen", type: "EVENT_TYPE_SHARE", videoId: "v7" },
    { userId: "u-never-seen", type: "EVENT_TYPE_REWATCH", videoId: "v7" },
    { userId: "u-never-seen", type: 7 },
  ];
  const ack = await c.ReportEvents(events);
  t.equal(ack.accepted, 7, "every event acknowledged");
  const state = await srv.system.ask<TestSessionState>("session/u-never-seen", { type: "session.get-state" });
  t.same(state.events, ["session.impression", "session.watch", "session.skip", "session.like", "session.share", "session.rewatch", "session.leave"]);
  const again = await c.GetFeed({ userId: "u-never-seen", count: 2 });
  t.equal(again.items[0].reason, "similar to what you watched", "the same session answers the next request");

  const stats = await c.GetVideoStats({ videoId: "v7" });
  t.match(stats, { videoId: "v7", impressions: 1, watchMs: 12_000, completions: 0 }, "the watch reached the video actor");

  const up = await c.UploadVideo({ videoId: "v-new-1", authorId: "a1", durationMs: 30_000, category: 3, title: "cat", tags: ["cats", "funny"] });
  t.same(up, { videoId: "v-new-1" });
  const named = await c.GetVideoStats({ videoId: "v-new-1" });
  t.match(named, { title: "cat", tags: ["cats", "funny"], category: 3, durationMs: 30_000, stage: -1 }, "the upload's title and tags are kept by the video actor");
  const assigned = await c.UploadVideo({ authorId: "a1", durationMs: 9000, category: 0 });
  t.match(assigned.videoId, /^v-[0-9a-f-]{36}$/, "an empty video_id gets a server-assigned one");
  const upStats = await c.GetVideoStats({ videoId: assigned.videoId });
  t.equal(upStats.videoId, assigned.videoId, "the uploaded video answers its stats");
  t.same([upStats.title, upStats.tags, upStats.category, upStats.durationMs], ["", [], 0, 9000], "no title or tags: empty, not invented");

  const st = await c.GetClusterStatus({});
  t.equal(st.cluster, "test");
  t.equal(st.protocolVersion, 1);
  t.equal(st.nodes.length, 1);
  t.equal(st.nodes[0].nodeId, "test-node");
  t.ok(st.nodes[0].activeActors >= 3, "session and video actors are active");
  t.same(st.modelVersions, ["test-v1"]);
});

t.test("feed service - each invalid field answers INVALID_ARGUMENT naming that field", async (t) => {
  const srv = await startTestFeedServer();
  const c = rawClient(srv.address);
  t.teardown(async () => {
    c.close();
    await srv.close();
  });
  const now = Date.now();
  const feed = { userId: "u1", count: 3 };
  const cases: [string, () => Promise<unknown>, string][] = [
    ["GetFeed without user", () => c.GetFeed({ count: 3 }), "user_id: must be set"],
    ["GetFeed bad user id", () => c.GetFeed({ ...feed, userId: "u/1" }), "user_id: must match"],
    ["GetFeed long user id", () => c.GetFeed({ ...feed, userId: "u".repeat(129) }), "user_id: must match"],
    ["GetFeed count 0", () => c.GetFeed({ userId: "u1" }), "count: must be an integer in [1, 100]"],
    ["GetFeed count negative", () => c.GetFeed({ ...feed, count: -1 }), "count: must be an integer in [1, 100]"],
    ["GetFeed count too big", () => c.GetFeed({ ...feed, count: 101 }), "count: must be an integer in [1, 100]"],
    ["GetFeed time in the future", () => c.GetFeed({ ...feed, context: { atMs: now + 3_600_000 } }), "context.at_ms: must not be more than"],
    ["GetFeed time too old", () => c.GetFeed({ ...feed, context: { atMs: 1000 } }), "context.at_ms: must not be more than"],
    ["GetFeed negative time", () => c.GetFeed({ ...feed, context: { atMs: -5 } }), "context.at_ms: must be epoch milliseconds"],
    ["GetFeed long device", () => c.GetFeed({ ...feed, context: { device: "d".repeat(33) } }), "context.device: must be at most 32"],
    ["GetFeed bad locale", () => c.GetFeed({ ...feed, context: { locale: "not a locale" } }), "context.locale: must be a BCP-47"],
    ["GetFeed long session id", () => c.GetFeed({ ...feed, context: { sessionId: "s".repeat(129) } }), "context.session_id: must be at most 128"],
    ["GetFeed control chars", () => c.GetFeed({ ...feed, context: { device: "a\u0000b" } }), "context.device: must not contain control"],
    ["event without user", () => c.ReportEvents([{ type: "EVENT_TYPE_LIKE", videoId: "v1" }]), "events[0].user_id: must be set"],
    ["event unspecified type", () => c.ReportEvents([{ userId: "u1", videoId: "v1" }]), "events[0].type: must be set"],
    ["event unknown type", () => c.ReportEvents([{ userId: "u1", type: 99, videoId: "v1" }]), "events[0].type: must be a known EventType"],
    ["event without video", () => c.ReportEvents([{ userId: "u1", type: "EVENT_TYPE_LIKE" }]), "events[0].video_id: must be set for EVENT_TYPE_LIKE"],
    ["event bad video id", () => c.ReportEvents([{ userId: "u1", type: "EVENT_TYPE_LIKE", videoId: "v 1" }]), "events[0].video_id: must match"],
    ["watch without duration", () => c.ReportEvents([{ userId: "u1", type: "EVENT_TYPE_WATCH", videoId: "v1", watchMs: 5 }]), "events[0].duration_ms: must be an integer in [1, 86400000]"],
    ["watch negative watch time", () => c.ReportEvents([{ userId: "u1", type: "EVENT_TYPE_WATCH", videoId: "v1", watchMs: -1, durationMs: 10 }]), "events[0].watch_ms: must be an integer"],
    ["skip absurd watch time", () => c.ReportEvents([{ userId: "u1", type: "EVENT_TYPE_SKIP", videoId: "v1", watchMs: 1e12 }]), "events[0].watch_ms: must be an integer"],
    ["event from the future", () => c.ReportEvents([{ userId: "u1", type: "EVENT_TYPE_LIKE", videoId: "v1", atMs: now + 86_400_000 }]), "events[0].at_ms: must not be more than"],
    ["third event bad", () => c.ReportEvents([
      { userId: "u1", type: "EVENT_TYPE_LIKE", videoId: "v1" },
      { userId: "u1", type: "EVENT_TYPE_LIKE", videoId: "v1" },
      { userId: "u1", type: "EVENT_TYPE_SHARE" },
    ]), "events[2].video_id: must be set"],
    ["upload without author", () => c.UploadVideo({ durationMs: 10, category: 1 }), "author_id: must be set"],
    ["upload bad video id", () => c.UploadVideo({ videoId: "../x", authorId: "a", durationMs: 10 }), "video_id: must match"],
    ["upload zero duration", () => c.UploadVideo({ authorId: "a" }), "duration_ms: must be an integer in [1, 86400000]"],
    ["upload category too big", () => c.UploadVideo({ authorId: "a", durationMs: 10, category: 10_001 }), "category: must be an integer in [0, 10000]"],
    ["upload negative category", () => c.UploadVideo({ authorId: "a", durationMs: 10, category: -1 }), "category: must be an integer in [0, 10000]"],
    ["upload long title", () => c.UploadVideo({ authorId: "a", durationMs: 10, title: "t".repeat(201) }), "title: must be at most 200"],
    ["upload too many tags", () => c.UploadVideo({ authorId: "a", durationMs: 10, tags: Array(33).fill("x") }), "tags: must have at most 32"],
    ["upload empty tag", () => c.UploadVideo({ authorId: "a", durationMs: 10, tags: ["ok", ""] }), "tags[1]: must not be empty"],
    ["upload long tag", () => c.UploadVideo({ authorId: "a", durationMs: 10, tags: ["x".repeat(65)] }), "tags[0]: must be at most 64"],
    ["upload old time", () => c.UploadVideo({ authorId: "a", durationMs: 10, atMs: 5 }), "at_ms: must not be more than"],
    ["stats without video", () => c.GetVideoStats({}), "video_id: must be set"],
    ["stats bad video", () => c.GetVideoStats({ videoId: "v\n1" }), "video_id: must match"],
  ];
  for (const [name, call, details] of cases) {
    const e = await statusOf(call());
    t.equal(e.code, Status.INVALID_ARGUMENT, `${name}: INVALID_ARGUMENT`);
    t.ok(e.details.startsWith(details), `${name}: "${e.details}" starts with "${details}"`);
    t.equal(e.metadata.get("fyp-error-code")[0], "FYP_ERR_INVALID_ARGUMENT", `${name}: stable error code in trailers`);
  }
  const partial = await statusOf(c.ReportEvents([{ userId: "u1", type: "EVENT_TYPE_LIKE", videoId: "v1" }, { userId: "u1", type: 42 }]));
  t.equal(partial.metadata.get("fyp-accepted")[0], "1", "a failed stream says how many events before the bad one were accepted");

  // Bytes that are not the request message at all.
  const garbage = await statusOf(
    new Promise((resolve, reject) =>
      c.client.makeUnaryRequest("/fyp.v1.FeedService/GetFeed", (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0xff, 0xff, 0xff]), (e, r) => (e ? reject(e) : resolve(r))),
    ),
  );
  t.equal(garbage.code, Status.INVALID_ARGUMENT);
  t.match(garbage.details, /^request: is not a valid protobuf message for \/fyp\.v1\.FeedService\/GetFeed/);
  const ok = await c.GetFeed(feed);
  t.equal(ok.items.length, 3, "the server still serves after every refusal");
});

t.test("feed service - deadlines: the client's deadline and the server's default budget", async (t) => {
  const srv = await startTestFeedServer({ "grpc.defaultDeadlineMs": 300 });
  const c = rawClient(srv.address);
  const g = gate();
  srv.services.gate = g;
  t.teardown(async () => {
    g.open();
    c.close();
    await srv.close();
  });
  const timedOut = srv.system.events.next("ask-timeout", (e) => e.id === "session/u-slow");
  const e = await statusOf(c.GetFeed({ userId: "u-slow", count: 3 }, { deadlineMs: 150 }));
  t.equal(e.code, Status.DEADLINE_EXCEEDED, "the client's deadline is honoured");
  await timedOut;
  t.pass("the server abandoned the work at the deadline (its ask timed out too)");

  // No client deadline: the server's own budget (grpc.defaultDeadlineMs) bounds the work.
  const t0 = Date.now();
  const e2 = await statusOf(c.GetFeed({ userId: "u-slow2", count: 3 }));
  t.equal(e2.code, Status.DEADLINE_EXCEEDED);
  t.match(e2.details, /ask feed\.request to session\/u-slow2 timed out after \d+ ms/);
  t.ok(Date.now() - t0 < 3000, "answered within the budget, not the 5 s ask default");
  const m = await httpGet(srv.service.metricsPort!, "/metrics");
  t.match(m.body, /fyp_grpc_requests_total\{method="GetFeed",code="DEADLINE_EXCEEDED"\} 2/);
});

t.test("feed service - overload is refused with RESOURCE_EXHAUSTED: in-flight limit, mailbox backlog, full mailbox", async (t) => {
  t.test("in-flight limit", async (t) => {
    const srv = await startTestFeedServer({ "grpc.maxInFlight": 3 });
    const c = rawClient(srv.address);
    const g = gate();
    srv.services.gate = g;
    t.teardown(async () => {
      g.open();
      c.close();
      await srv.close();
    });
    const active = ["u1", "u2", "u3"].map((u) => srv.system.events.next("activated", (e) => e.id === `session/${u}`));
    const held = ["u1", "u2", "u3"].map((u) => c.GetFeed({ userId: u, count: 2 }));
    await Promise.all(active);
    t.equal(srv.service.gateway.admission.inFlight, 3);
    const shed = await statusOf(c.GetFeed({ userId: "u4", count: 2 }));
    t.equal(shed.code, Status.RESOURCE_EXHAUSTED);
    t.match(shed.details, /overloaded: 3 requests in flight \(limit 3\)/);
    t.equal(shed.metadata.get("fyp-retryable")[0], "true");
    const status = await c.GetClusterStatus({});
    t.equal(status.nodes[0].inFlightRequests, 3, "status is answered even when the node refuses work");
    t.equal(status.nodes[0].shedRequests, 1);
    g.open();
    const done = await Promise.all(held);
    t.same(done.map((r) => r.items.length), [2, 2, 2], "admitted requests complete");
    const after = await c.GetFeed({ userId: "u4", count: 2 });
    t.equal(after.items.length, 2, "served again once the load is gone");
    const m = await httpGet(srv.service.metricsPort!, "/metrics");
    t.match(m.body, /fyp_grpc_shed_requests\{reason="in_flight"\} 1/);
    t.match(m.body, /fyp_grpc_requests_total\{method="GetFeed",code="RESOURCE_EXHAUSTED"\} 1/);
  });

  t.test("mailbox backlog and a full mailbox", async (t) => {
    const srv = await startTestFeedServer({ "grpc.maxMailboxBacklog": 5 }, { mailboxCapacity: 8 });
    const c = rawClient(srv.address);
    const g = gate();
    srv.services.gate = g;
    t.teardown(async () => {
      g.open();
      c.close();
      await srv.close();
    });
    const active = srv.system.events.next("activated", (e) => e.id === "session/ua");
    const held = c.GetFeed({ userId: "ua", count: 1 });
    await active;
    // ua is busy behind the gate: its events queue in its mailbox until it is full (capacity 8).
    const likes = Array.from({ length: 20 }, () => ({ userId: "ua", type: "EVENT_TYPE_LIKE", videoId: "v1" }));
    const full = await statusOf(c.ReportEvents(likes));
    t.equal(full.code, Status.RESOURCE_EXHAUSTED, "a full mailbox is RESOURCE_EXHAUSTED");
    t.match(full.details, /mailbox of session\/ua is full \(capacity 8\)/);
    t.equal(full.metadata.get("fyp-accepted")[0], "8", "the client learns which events were accepted");
    const backlog = await statusOf(c.GetFeed({ userId: "ub", count: 1 }));
    t.equal(backlog.code, Status.RESOURCE_EXHAUSTED, "a node with a deep mailbox backlog refuses new work");
    t.match(backlog.details, /overloaded: \d+ messages queued in mailboxes \(limit 5\)/);
    g.open();
    t.equal((await held).items.length, 1);
    await srv.system.whenIdle();
    t.equal((await c.GetFeed({ userId: "ub", count: 1 })).items.length, 1, "served once the backlog drained");
  });
});

t.test("feed service - health and reflection answer as the standard clients expect", async (t) => {
  const srv = await startTestFeedServer();
  const HealthClient = grpc.makeGenericClientConstructor(healthService, "Health");
  const health = new HealthClient(srv.address, grpc.credentials.createInsecure()) as any;
  const require = createRequire(import.meta.url);
  const reflProto = join(dirname(require.resolve("@grpc/reflection/package.json")), "build/proto/grpc/reflection/v1/reflection.proto");
  const reflPkg = grpc.loadPackageDefinition(protoLoader.loadSync(reflProto, { keepCase: true, defaults: true, oneofs: true })) as any;
  const refl = new reflPkg.grpc.reflection.v1.ServerReflection(srv.address, grpc.credentials.createInsecure());
  t.teardown(async () => {
    health.close();
    refl.close();
    await srv.close();
  });
  const check = (service: string): Promise<{ status: string }> =>
    new Promise((resolve, reject) => health.Check({ service }, (e: Error | null, r: { status: string }) => (e ? reject(e) : resolve(r))));
  t.same(await check(""), { status: "SERVING" }, "the whole server");
  t.same(await check("fyp.v1.FeedService"), { status: "SERVING" });
  const unknown = await statusOf(check("no.such.Service"));
  t.equal(unknown.code, Status.NOT_FOUND, "an unknown service is NOT_FOUND, per the health protocol");

  const ask = (req: object): Promise<any> =>
    new Promise((resolve, reject) => {
      const call = refl.ServerReflectionInfo();
      call.on("data", (d: unknown) => {
        resolve(d);
        call.end();
      });
      call.on("error", reject);
      call.write(req);
    });
  const list = await ask({ list_services: "*" });
  const names = list.list_services_response.service.map((s: { name: string }) => s.name);
  t.ok(names.includes("fyp.v1.FeedService"), `listed: ${names.join(", ")}`);
  const file = await ask({ file_containing_symbol: "fyp.v1.FeedService" });
  const fdp: Buffer[] = file.file_descriptor_response.file_descriptor_proto;
  t.ok(fdp.length >= 1, "a file descriptor comes back");
  const all = Buffer.concat(fdp).toString("latin1");
  t.match(all, /fyp\.v1/);
  t.match(all, /GetFeed/);
  t.match(all, /ReportEvents/);
});

t.test("feed service - /metrics exposes request counts, latency, actors, mailboxes and model versions", async (t) => {
  const srv = await startTestFeedServer();
  const c = rawClient(srv.address);
  t.teardown(async () => {
    c.close();
    await srv.close();
  });
  await c.GetFeed({ userId: "m1", count: 2 });
  await statusOf(c.GetFeed({ userId: "m1", count: 0 }));
  await c.ReportEvents([{ userId: "m1", type: "EVENT_TYPE_LIKE", videoId: "v1" }]);
  const m = await httpGet(srv.service.metricsPort!, "/metrics");
  t.equal(m.status, 200);
  t.match(m.body, /fyp_grpc_requests_total\{method="GetFeed",code="OK"\} 1/);
  t.match(m.body, /fyp_grpc_requests_total\{method="GetFeed",code="INVALID_ARGUMENT"\} 1/);
  t.match(m.body, /fyp_grpc_request_duration_seconds_bucket\{le="0\.01",method="GetFeed"\} \d/);
  t.match(m.body, /fyp_grpc_events_total\{type="session\.like"\} 1/);
  t.match(m.body, /fyp_actors_active\{node="test-node"\} [1-9]/);
  t.match(m.body, /fyp_actor_mailbox_backlog\{node="test-node"\} \d+/);
  t.match(m.body, /fyp_model_version_info\{version="test-v1"\} 1/);
  t.match(m.body, /fyp_grpc_in_flight_requests 0/);
  t.match(m.body, /fyp_grpc_admit_share 1/);
  const notFound = await httpGet(srv.service.metricsPort!, "/other");
  t.equal(notFound.status, 404);
});
