import t from "tap";
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { AdmissionControl, LoopGovernor, ServiceTime } from "../../../cluster/gateway/admission-control.ts";
import { createGetFeedCaller, encodeGetFeedRequest } from "../../../cluster/index.ts";
import { ActorKind, assertNever, type FeedReply, type SessionMsg } from "../../../protocols/index.ts";
import { defineActor } from "../../../actors/index.ts";
import { gate, grpc, rawClient, startTestFeedServer, statusOf } from "../../helpers/feed-server.ts";

const Status = grpc.status;

/** An AdmissionControl whose event-loop governor runs on a hand-driven clock (no timer). */
function governed(maxEventLoopDelayMs: number): { ac: AdmissionControl; gov: () => LoopGovernor; clock: { t: number } } {
  const clock = { t: 1000 };
  let g: LoopGovernor | undefined;
  const ac = new AdmissionControl({ maxInFlight: 1000, inFlightBudgetMs: 0, maxMailboxBacklog: 1_000_000, maxEventLoopDelayMs }, () => 0, (target, underLoad) =>
    (g = new LoopGovernor(target, underLoad, () => clock.t, false)),
  );
  return { ac, gov: () => g!, clock };
}

/** How many of `n` arrivals the front-door check admits. */
function arrivals(ac: AdmissionControl, n: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (ac.refusal() === null) admitted++;
  return admitted;
}

t.test("admission - the event-loop governor thins arrivals only when the loop is late for a whole interval, and recovers", async (t) => {
  const { ac, gov, clock } = governed(30); // target delay 10 ms
  const tick = (lateMs: number): void => {
    clock.t += LoopGovernor.TICK_MS + lateMs;
    gov().tick();
  };
  t.equal(arrivals(ac, 60), 60, "real traffic (60 checks this second), loop on time: all admitted");

  // One long stall (a GC pause, a flush), then the burst read after it keeps the loop late for 75 ms more.
  tick(150);
  for (let i = 0; i < 3; i++) tick(15);
  t.equal(ac.admitShare, 1, "a stall and its burst, late for less than an interval: nothing changes");
  t.equal(arrivals(ac, 8), 8, "and the requests read after it are all admitted");
  tick(0);
  for (let i = 0; i < 4; i++) tick(15);
  t.equal(ac.admitShare, 1, "an on-time tick restarts the timing");

  tick(15); // late on every tick since the first of these five, 4 x 25 = 100 ms ago
  t.equal(ac.admitShare, 0.75, "late on every tick for a whole interval: a quarter fewer admitted");
  t.equal(arrivals(ac, 8), 6, "spread evenly: 6 of the next 8 arrivals");
  for (let i = 0; i < 4 * 4; i++) tick(15);
  t.ok(Math.abs(ac.admitShare - 0.75 ** 5) < 1e-9, `sustained delay keeps cutting, once an interval (share ${ac.admitShare.toFixed(3)})`);
  const admitted = arrivals(ac, 100);
  t.ok(admitted >= 23 && admitted <= 24, `about a quarter of 100 arrivals admitted (${admitted})`);
  let message: string | undefined;
  let tries = 0;
  while (message === undefined && tries < 5) {
    tries++;
    message = ac.refusal()?.message;
  }
  t.equal(message, "overloaded: event loop over its 10 ms delay target: admitting 24% of requests");
  t.doesNotThrow(() => ac.admit(), "a call that passed the front door is not thinned twice");
  ac.release();

  for (let i = 0; i < 20; i++) tick(0);
  t.equal(ac.admitShare, 1, "on-time ticks raise the share back, 5 points each");
  t.equal(arrivals(ac, 50), 50);
  t.equal(ac.shed().event_loop, 8 - 6 + (100 - admitted) + tries, "every refusal counted as an event-loop shed");
  ac.close();
});

t.test("admission - the in-flight limit is sized from the latency budget and the measured service time", async (t) => {
  const clock = { t: 0, busy: 0 };
  const service = new ServiceTime(() => clock.t, () => clock.busy);
  // a governor that always reports sustained pressure (the sized limit applies only then: see the next test)
  class Pressed extends LoopGovernor {
    override get pressed(): boolean {
      return true;
    }
  }
  let gov: LoopGovernor | undefined;
  const ac = new AdmissionControl({ maxInFlight: 1000, inFlightBudgetMs: 50, maxMailboxBacklog: 1_000_000, maxEventLoopDelayMs: 30 }, () => 0,
    (target, underLoad) => (gov = new Pressed(target, underLoad, () => clock.t, false)), service, () => clock.t);
  /**
   * `n` requests served, each `busyMsEach` of loop time and `stepMs` after the one before, 10 arriving per one
   * served; the governor's timer ticks at each step (never held longer than 25 ms: no request is stale).
   */
  const serve = (n: number, busyMsEach: number, stepMs: number): void => {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 10; k++) ac.refusal();
      ac.admit();
      clock.t += stepMs;
      clock.busy += busyMsEach;
      ac.release();
      gov!.tick();
    }
  };
  t.equal(ac.inFlightLimit, 1000, "nothing measured yet: maxInFlight");
  serve(40, 0.5, 25);
  t.equal(ac.serviceMs, null, "a 1 s window with fewer than 50 requests measures nothing (a trickle)");
  t.equal(ac.inFlightLimit, 1000);
  serve(500, 3, 2);
  t.equal(ac.serviceMs, null, "the first full window is start-up: it measures nothing");
  serve(500, 0.5, 2);
  t.equal(ac.serviceMs, 0.5, "0.5 ms of busy loop per request");
  t.equal(ac.inFlightLimit, 100, "50 ms of work at 0.5 ms each: 100 in flight");
  serve(500, 1.5, 2);
  t.equal(ac.serviceMs, 1, "the estimate moves halfway to each window's (1.5 ms)");
  t.equal(ac.inFlightLimit, 50, "50 ms / 1 ms");
  serve(500, 9, 2);
  t.equal(ac.serviceMs, 5);
  t.equal(ac.inFlightLimit, 16, "50 ms / 5 ms = 10, but never below MIN_IN_FLIGHT");
  t.equal(AdmissionControl.MIN_IN_FLIGHT, 16);
  serve(1000, 0.0625, 1);
  t.equal(ac.serviceMs, 2.53125);
  t.equal(ac.inFlightLimit, 19, "cheaper requests: 50 / 2.53 ms");

  // the limit is enforced, answers still being sent included
  for (let i = 0; i < 15; i++) ac.admit();
  const sent = Array.from({ length: 4 }, () => ac.sending());
  t.equal(ac.inFlight, 19);
  t.match(ac.refusal()?.message, /^overloaded: 19 requests in flight \(limit 19\)$/);
  sent[0]!();
  sent[0]!();
  t.equal(ac.inFlight, 18, "a sent answer leaves flight once, however often it is reported");
  t.equal(ac.refusal(), null);
  ac.close();
});

t.test("admission - a trickle of requests is never blamed for a late loop", async (t) => {
  const { ac, gov, clock } = governed(30);
  t.equal(arrivals(ac, 10), 10);
  for (let i = 0; i < 5; i++) {
    clock.t += LoopGovernor.TICK_MS + 100;
    gov().tick();
  }
  t.equal(ac.admitShare, 1, "10 checks a second is start-up or a pause, not load");
  t.equal(arrivals(ac, 10), 10, "even 100 ms into a turn");
  ac.close();
});

function h2Call(session: ClientHttp2Session, headers: Record<string, string>, body: Buffer): Promise<{ headers: IncomingHttpHeaders; trailers: IncomingHttpHeaders; data: number }> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ":method": "POST", "content-type": "application/grpc", te: "trailers", ...headers });
    let h: IncomingHttpHeaders = {};
    let tr: IncomingHttpHeaders = {};
    let data = 0;
    s.on("response", (x) => (h = x));
    s.on("trailers", (x) => (tr = x));
    s.on("data", (d: Buffer) => (data += d.length));
    s.on("error", reject);
    s.on("close", () => resolve({ headers: h, trailers: tr, data }));
    s.end(body);
  });
}

t.test("admission - the front door refuses before a request is decoded or a call is built", async (t) => {
  const srv = await startTestFeedServer({ "grpc.maxInFlight": 2 });
  const c = rawClient(srv.address);
  const g = gate();
  srv.services.gate = g;
  const h2 = connect(`http://${srv.address}`);
  t.teardown(async () => {
    g.open();
    h2.close();
    c.close();
    await srv.close();
  });
  const active = ["u1", "u2"].map((u) => srv.system.events.next("activated", (e) => e.id === `session/${u}`));
  const held = ["u1", "u2"].map((u) => c.GetFeed({ userId: u, count: 2 }));
  await Promise.all(active);

  const garbage = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
  const r = await h2Call(h2, { ":path": "/fyp.v1.FeedService/GetFeed" }, garbage);
  t.equal(r.headers["grpc-status"], String(Status.RESOURCE_EXHAUSTED), "undecodable bytes are refused as overload: the body was never read");
  t.equal(decodeURI(String(r.headers["grpc-message"])), "overloaded: 2 requests in flight (limit 2)");
  t.equal(r.headers["fyp-error-code"], "FYP_ERR_OVERLOADED");
  t.equal(r.headers["fyp-retryable"], "true");
  t.equal(r.data, 0, "trailers-only: no message");

  const ev = await statusOf(c.ReportEvents([{ userId: "u9", type: "EVENT_TYPE_LIKE", videoId: "v1" }]));
  t.equal(ev.code, Status.RESOURCE_EXHAUSTED, "client streams are refused at the door too");
  t.equal(ev.metadata.get("fyp-error-code")[0], "FYP_ERR_OVERLOADED");
  const st = await c.GetClusterStatus({});
  t.equal(st.nodes[0].shedRequests, 2, "GetClusterStatus is never refused, and counts the sheds");
  t.equal(srv.service.gateway.admission.shed().in_flight, 2);

  g.open();
  t.same((await Promise.all(held)).map((x) => x.items.length), [2, 2]);
  const ok = await h2Call(h2, { ":path": "/fyp.v1.FeedService/GetFeed" }, garbage);
  t.equal(ok.headers["grpc-status"] ?? ok.trailers["grpc-status"], String(Status.INVALID_ARGUMENT), "once admitted, the same bytes are decoded and refused as invalid");
});

t.test("admission - GetFeed served at the front door answers as grpc-js would, odd requests go to grpc-js", async (t) => {
  const srv = await startTestFeedServer({ "grpc.maxMessageBytes": 1024 });
  const gz = new grpc.Client(srv.address, grpc.credentials.createInsecure(), { "grpc.default_compression_algorithm": 2 });
  const c = rawClient(srv.address);
  const h2 = connect(`http://${srv.address}`);
  t.teardown(async () => {
    h2.close();
    gz.close();
    c.close();
    await srv.close();
  });
  const path = "/fyp.v1.FeedService/GetFeed";
  const one = encodeGetFeedRequest("fd1", 3);

  const ok = await h2Call(h2, { ":path": path, "grpc-timeout": "5S" }, one);
  t.equal(ok.headers[":status"], 200);
  t.equal(ok.headers["content-type"], "application/grpc+proto");
  t.equal(ok.trailers["grpc-status"], "0", "status in trailers after the message");
  t.ok(ok.data > 5, "one length-prefixed message");

  const none = await h2Call(h2, { ":path": path }, Buffer.alloc(0));
  t.equal(none.headers["grpc-status"], String(Status.UNIMPLEMENTED));
  t.equal(decodeURI(String(none.headers["grpc-message"])), `Received no request message for server streaming method ${path}`);
  const two = await h2Call(h2, { ":path": path }, Buffer.concat([one, one]));
  t.equal(two.headers["grpc-status"], String(Status.UNIMPLEMENTED));
  t.equal(decodeURI(String(two.headers["grpc-message"])), `Received a second request message for server streaming method ${path}`);
  const big = Buffer.alloc(5 + 2000);
  big.writeUInt32BE(2000, 1);
  const tooBig = await h2Call(h2, { ":path": path }, big);
  t.equal(tooBig.headers["grpc-status"], String(Status.RESOURCE_EXHAUSTED));
  t.match(decodeURI(String(tooBig.headers["grpc-message"])), /^Received message larger than max \(\d+ vs 1024\)$/);

  // A body that never ends: answered DEADLINE_EXCEEDED at the deadline (as grpc-js's per-call timer did).
  const stalled = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const s = h2.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", "grpc-timeout": "150m" });
    s.on("response", (h) => {
      resolve(h);
      s.close();
    });
    s.on("error", reject);
    s.write(one.subarray(0, 3)); // part of the message, and no end of stream
  });
  t.equal(stalled["grpc-status"], String(Status.DEADLINE_EXCEEDED));
  t.equal(decodeURI(String(stalled["grpc-message"])), "Deadline exceeded");

  const badTimeout = await h2Call(h2, { ":path": path, "grpc-timeout": "soon" }, one);
  t.equal(badTimeout.headers["grpc-status"] ?? badTimeout.trailers["grpc-status"], String(Status.INTERNAL), "an unparsable grpc-timeout goes to grpc-js, which refuses it");

  // A compressed request (gzip) is left to grpc-js, which decompresses it: the same feed comes back.
  const res = await new Promise<Buffer>((resolve, reject) =>
    gz.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, one.subarray(5), new grpc.Metadata(), { deadline: Date.now() + 5000 }, (e, r) =>
      e ? reject(e) : resolve(r!),
    ),
  );
  t.ok(res.length > 0, "a gzip-compressed GetFeed is served (by grpc-js)");
  const viaClient = await c.GetFeed({ userId: "fd2", count: 4 }, { deadlineMs: 5000 });
  t.equal(viaClient.items.length, 4, "the grpc-js client reads the front door's answers");
});

/** Busy for `ms` of wall time: the event loop is blocked, as by a long synchronous task. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Sessions that, after answering, block the event loop twice for this long in two consecutive loop iterations. */
const BLOCKS: Record<string, number> = { blocker: 100 };

/**
 * A session that answers at once; "blocker" also blocks the event loop twice, 100 ms each, right after its answer
 * is written (the loop is late on every tick for over 100 ms: sustained delay).
 */
const blockingSession = defineActor<{ n: number }, SessionMsg>({
  kind: ActorKind.Session,
  initialState: () => ({ n: 0 }),
  receive(ctx, msg) {
    switch (msg.type) {
      case "feed.request": {
        const ms = BLOCKS[ctx.key];
        if (ms !== undefined) setImmediate(() => (spin(ms), setImmediate(() => spin(ms))));
        const reply: FeedReply = { modelVersion: "t", items: [{ videoId: "v1", score: 1, reason: "exploring", modelVersion: "t" }] };
        return reply;
      }
      case "session.watch": case "session.skip": case "session.like": case "session.rewatch": case "session.share":
      case "session.impression": case "session.leave": case "session.get-state": case "session.start": case "session.tick":
        return undefined;
      default:
        return assertNever(msg, "session message");
    }
  },
});

t.test("admission - a real server under sustained event-loop delay thins GetFeed arrivals at the front door", async (t) => {
  const srv = await startTestFeedServer({ "grpc.maxEventLoopDelayMs": 30 }, { session: blockingSession }); // target 10 ms
  const caller = createGetFeedCaller({ target: `grpc://${srv.address}` });
  t.teardown(async () => {
    caller.close();
    await srv.close();
  });
  await caller.waitReady(5000);
  // Real traffic first (the governor ignores a trickle). A loaded machine may already run the loop late here
  // and shed some: only what the blocker adds is asserted below.
  const warm = await Promise.all(Array.from({ length: 60 }, (_, i) => caller.getFeed(`w${i}`, 1, 5000)));
  t.same(warm.filter((r) => r.code !== Status.OK && r.code !== Status.RESOURCE_EXHAUSTED), [], "served or shed");

  // The blocker's answer arrives, then its session blocks the loop for 2 x 100 ms; these 40 calls wait in the
  // socket meanwhile and are read after the second late tick in a row has cut the admitted share. (Retried
  // while shed: a thinned share admits one of the next few.)
  let blocker = await caller.getFeed("blocker", 1, 5000);
  for (let i = 0; i < 50 && blocker.code === Status.RESOURCE_EXHAUSTED; i++) blocker = await caller.getFeed("blocker", 1, 5000);
  t.equal(blocker.code, Status.OK);
  const shedBefore = srv.service.gateway.admission.shed().event_loop;
  const after = await Promise.all(Array.from({ length: 40 }, (_, i) => caller.getFeed(`a${i}`, 1, 5000)));
  const shareAfter = srv.service.gateway.admission.admitShare;
  const codes = after.map((r) => r.code);
  const shed = codes.filter((c) => c === Status.RESOURCE_EXHAUSTED).length;
  t.equal(shed + codes.filter((c) => c === Status.OK).length, 40, "every call served or shed");
  t.ok(shed >= 1, `arrivals after sustained delay are shed (${shed} of 40; the share was cut to ${shareAfter.toFixed(2)} or below)`);
  t.equal(srv.service.gateway.admission.shed().event_loop - shedBefore, shed, "all of them by the event-loop governor");
  t.ok(shareAfter < 1, `admitted share lowered (${shareAfter.toFixed(2)})`);
});

t.test("admission - an answer the client's flow control holds back stays in flight until it is sent", async (t) => {
  const srv = await startTestFeedServer({ "grpc.maxInFlight": 1 });
  // A client that advertises a zero stream window: the server can send its answer's headers but no DATA.
  const stingy = connect(`http://${srv.address}`, { settings: { initialWindowSize: 0 } });
  const caller = createGetFeedCaller({ target: `grpc://${srv.address}` });
  t.teardown(async () => {
    stingy.close();
    caller.close();
    await srv.close();
  });
  const held = stingy.request({ ":method": "POST", ":path": "/fyp.v1.FeedService/GetFeed", "content-type": "application/grpc", te: "trailers" });
  let data = 0;
  held.on("data", (d: Buffer) => (data += d.length));
  const trailers = new Promise<IncomingHttpHeaders>((resolve) => held.once("trailers", resolve));
  const headers = await new Promise<IncomingHttpHeaders>((resolve) => {
    held.once("response", resolve);
    held.end(encodeGetFeedRequest("u-held", 2));
  });
  t.equal(headers[":status"], 200, "the answer is written: its headers arrived");
  t.equal(data, 0, "its message cannot be sent");
  t.equal(srv.service.gateway.admission.inFlight, 1, "the answer being sent is in flight");
  const refused = await caller.getFeed("u-other", 2, 5000);
  t.equal(refused.code, Status.RESOURCE_EXHAUSTED, "so the limit refuses new work");
  t.equal(srv.service.gateway.admission.shed().in_flight, 1);

  stingy.settings({ initialWindowSize: 65_535 }); // the client reads again: the window opens
  t.equal((await trailers)["grpc-status"], "0", "the held answer completes");
  t.ok(data > 5, "with its message");
  t.equal(srv.service.gateway.admission.inFlight, 0, "and leaves flight");
  t.equal((await caller.getFeed("u-other", 2, 5000)).code, Status.OK, "new work is admitted again");
});

/** An AdmissionControl with a hand-driven governor, service meter and clock, and traffic to drive it. */
function driven(): {
  ac: AdmissionControl;
  /** `ms` of time in 10 ms timer ticks, each `lateMs` late, with requests arriving at `perSec` (0.5 ms of loop each when served). */
  run(ms: number, perSec: number, lateMs?: number): number;
  /** The loop held `ms` (no arrivals read meanwhile), then its timer's tick, late by that much. */
  stall(ms: number): void;
  /** `n` arrivals read at once, oldest first: each outcome in order ("admitted", "stale" or the refusal), and counts. */
  read(n: number): { order: string[]; reasons: Map<string, number> };
} {
  const clock = { t: 1000, busy: 0 };
  let g: LoopGovernor | undefined;
  const ac = new AdmissionControl({ maxInFlight: 1000, inFlightBudgetMs: 50, maxMailboxBacklog: 1_000_000, maxEventLoopDelayMs: 30 }, () => 0,
    (target, underLoad) => (g = new LoopGovernor(target, underLoad, () => clock.t, false)), new ServiceTime(() => clock.t, () => clock.busy), () => clock.t);
  let owed = 0;
  return {
    ac,
    stall(ms) {
      clock.t += LoopGovernor.TICK_MS + ms;
      g!.tick();
    },
    read(n) {
      const order: string[] = [];
      const reasons = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const refused = ac.refusal();
        const reason = refused === null ? "admitted" : (/read about \d+ ms after it arrived/.test(refused.message) ? "stale" : refused.message);
        if (refused === null) ac.admit(); // admitted: served later (released by the caller)
        order.push(reason);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      return { order, reasons };
    },
    run(ms, perSec, lateMs = 0) {
      let refused = 0;
      for (let done = 0; done < ms; ) {
        const step = LoopGovernor.TICK_MS + lateMs;
        owed += (perSec * step) / 1000;
        for (; owed >= 1; owed--) {
          if (ac.refusal() !== null) {
            refused++;
            continue;
          }
          ac.admit();
          clock.busy += 0.5;
          ac.release();
        }
        clock.t += step;
        g!.tick();
        done += step;
      }
      return refused;
    },
  };
}

t.test("admission - under overload, a stall's oldest arrivals are refused as stale and the sized in-flight limit bounds the turn; otherwise it holds only under sustained pressure", async (t) => {
  const { ac, run, stall, read } = driven();
  t.teardown(() => ac.close());
  t.equal(run(2500, 3000), 0, "3,000 req/s for 2.5 s with the timer on time: nothing refused");
  t.equal(ac.serviceMs, 0.5);
  t.equal(ac.inFlightLimit, 1000, "loop on time: a burst may use up to maxInFlight");
  stall(200); // a 200 ms stall (a GC pause): the 600 requests that queued meanwhile are read at once, oldest first
  t.equal(ac.inFlightLimit, 100, "right after a stall at 1.5x capacity: the sized limit, 50 ms / 0.5 ms");
  const burst = read(600);
  t.equal(burst.reasons.size, 2, `refused as stale, then admitted: ${[...burst.reasons.keys()].join(", ")}`);
  const stale = burst.reasons.get("stale")!;
  // about 3 arrivals per ms: the k-th read waited about 200 - k / 3 ms, over the 30 ms limit for k < 510
  t.ok(stale >= 490 && stale <= 530, `the oldest ${stale} refused as stale (about 200 - 30 ms of arrivals)`);
  t.same(burst.order.slice(0, stale), new Array(stale).fill("stale"), "the refused are the oldest, read first");
  t.same(burst.order.slice(stale), new Array(600 - stale).fill("admitted"), "the freshest are admitted");
  t.equal(ac.shed().stale, stale);
  const more = read(20); // read in the same turn, fresh
  const full = "overloaded: 100 requests in flight (limit 100)";
  t.same(more.order, [...new Array(100 - (600 - stale)).fill("admitted"), ...new Array(20 - (100 - (600 - stale))).fill(full)], "the turn is bounded by the sized limit");
  for (let i = 0; i < 100; i++) ac.release();
  run(135, 3000, 35);
  t.equal(ac.inFlightLimit, 100, "late on every tick for 100 ms at 1.5x capacity: the sized limit, 50 ms / 0.5 ms");
  t.ok(ac.admitShare < 1, "and the governor cuts the share");
  for (let i = 0; i < 100; i++) ac.admit();
  t.throws(() => ac.admit(), /in flight \(limit 100\)/, "the sized limit refuses the 101st");
  for (let i = 0; i < 100; i++) ac.release();
  run(200, 3000);
  t.equal(ac.admitShare, 1, "on time for 200 ms: the share is back");
  // (the burst and the 100 above, served in no loop time, moved the measured service time: 50 ms / its new value)
  t.equal(ac.inFlightLimit, Math.floor(50 / ac.serviceMs!), "but a refusal under pressure holds the sized limit for HOLD_MS");
  t.ok(ac.inFlightLimit < 1000);
  run(300, 3000);
  t.equal(ac.inFlightLimit, 1000, "nothing refused for HOLD_MS: the burst limit again");
  t.equal(LoopGovernor.HOLD_MS, 500);
});

t.test("admission - a loop held late by other work while the offered load is well under capacity sheds nothing", async (t) => {
  const { ac, run } = driven();
  t.teardown(() => ac.close());
  t.equal(run(2500, 1000), 0, "1,000 req/s at 0.5 ms each: half of the loop");
  t.equal(ac.offeredLoad, 0.5);
  t.equal(run(300, 1000, 40), 0, "300 ms of ticks 40 ms late (a background task, a slow machine): nothing refused");
  t.equal(ac.admitShare, 1, "no cut");
  t.equal(ac.inFlightLimit, 1000);
  t.equal(run(1500, 1700), 0, "1,700 req/s: 0.85 of the loop, on time: nothing refused");
  t.ok(run(300, 1700, 40) > 0, "near capacity, the same late loop is overload: arrivals are shed");
  t.ok(ac.admitShare < 1);
});

t.test("admission - after a stall with capacity to spare, the whole burst is admitted however long it waited", async (t) => {
  for (const perSec of [1000, 1800]) {
    const { ac, run, stall, read } = driven();
    t.equal(run(2500, perSec), 0, `${perSec} req/s at 0.5 ms each: ${perSec / 2000} of the loop`);
    stall(200); // the requests that queued during a 200 ms pause: the node clears them, however slowly
    t.equal(ac.inFlightLimit, 1000, "no sized limit: the node is not saturated");
    const n = (perSec * 200) / 1000;
    const burst = read(n);
    t.same([...burst.reasons], [["admitted", n]], "all admitted, the oldest having waited ~200 ms");
    t.equal(ac.shedTotal(), 0);
    for (let i = 0; i < n; i++) ac.release();
    ac.close();
  }
});

t.test("admission - a step up in offered load is seen within ~100 ms, before the turns it lengthens run away", async (t) => {
  const { ac, run } = driven();
  t.teardown(() => ac.close());
  t.equal(run(2010, 1500), 0, "1,500 req/s at 0.5 ms each: 0.75 of the loop");
  t.equal(ac.offeredLoad, 0.75, "(a new one-second rate window has just begun)");
  // 5,000 req/s from now: each turn takes longer than the last, so the timer ticks late
  run(90, 5000, 20);
  t.ok(ac.offeredLoad! >= 2, `90 ms in, the offered load is seen: ${ac.offeredLoad!.toFixed(2)} of the loop`);
  t.equal(ac.inFlightLimit, 100, "and the sized limit bounds the next turn (50 ms / 0.5 ms)");
});

t.test("admission - a burst read after a stall does not read as a step up in load", async (t) => {
  const { ac, run, stall, read } = driven();
  t.teardown(() => ac.close());
  t.equal(run(2500, 1000), 0);
  stall(70);
  read(70);
  t.ok(Math.abs(ac.offeredLoad! - 0.5) < 0.1, `70 requests read at once after 70 ms: still ~1 per ms (load ${ac.offeredLoad!.toFixed(2)})`);
  for (let i = 0; i < 70; i++) ac.release();
});
