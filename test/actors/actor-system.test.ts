import t from "tap";
import { AskTimeoutError, HandlerFailedError, MailboxFullError, UnknownActorKindError, InvalidActorIdError } from "../../protocols/index.ts";
import { defineActor, driveVirtual } from "../../actors/index.ts";
import { testSystem } from "../helpers/actor-system.ts";

type RecMsg = { type: "rec"; n: number } | { type: "slow"; n: number; gate: Promise<void> } | { type: "boom" } | { type: "get" } | { type: "never" };

interface RecState { seen: number[]; running: number; maxRunning: number }

const recorder = defineActor<RecState, RecMsg>({
  kind: "rec",
  initialState: () => ({ seen: [], running: 0, maxRunning: 0 }),
  async receive(ctx, msg) {
    const s = ctx.state;
    s.running++;
    s.maxRunning = Math.max(s.maxRunning, s.running);
    try {
      switch (msg.type) {
        case "rec":
          s.seen.push(msg.n);
          return undefined;
        case "slow":
          await msg.gate;
          s.seen.push(msg.n);
          return undefined;
        case "boom":
          throw new Error("kaboom");
        case "get":
          return { seen: [...s.seen], maxRunning: s.maxRunning };
        case "never":
          await new Promise(() => {});
          return undefined;
      }
    } finally {
      s.running--;
    }
  },
});

const syncCounter = defineActor<{ n: number }, { type: "inc" } | { type: "get" } | { type: "boom" }>({
  kind: "cnt",
  initialState: () => ({ n: 0 }),
  receive(ctx, msg) {
    if (msg.type === "inc") ctx.state.n++;
    else if (msg.type === "boom") throw new Error("sync kaboom");
    else return ctx.state.n;
    return undefined;
  },
});

t.test("mailbox - messages to one actor are handled in send order, one at a time", async (t) => {
  const { system } = testSystem();
  system.register(recorder);
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  system.tell("rec/a", { type: "slow", n: 0, gate });
  for (let i = 1; i <= 50; i++) system.tell("rec/a", { type: "rec", n: i });
  system.runReady();
  t.equal(system.stats().processed, 0, "nothing else runs while the first message is in progress");
  open();
  const r = await system.ask<{ seen: number[]; maxRunning: number }>("rec/a", { type: "get" });
  t.same(r.seen, Array.from({ length: 51 }, (_, i) => i));
  t.equal(r.maxRunning, 1, "never two messages at once");
});

t.test("mailbox - a full mailbox refuses with a typed, counted error", async (t) => {
  const { system } = testSystem({ mailboxCapacity: 5 });
  system.register(recorder);
  const overflow = system.events.next("mailbox-overflow");
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  system.tell("rec/full", { type: "slow", n: 0, gate });
  system.runReady(); // the slow message is now running, the mailbox is empty
  for (let i = 1; i <= 5; i++) system.tell("rec/full", { type: "rec", n: i });
  t.throws(() => system.tell("rec/full", { type: "rec", n: 6 }), MailboxFullError);
  const err = (() => {
    try {
      system.tell("rec/full", { type: "rec", n: 7 });
    } catch (e) {
      return e as MailboxFullError;
    }
    return undefined;
  })();
  t.equal(err?.code, "FYP_ERR_MAILBOX_FULL");
  t.equal(err?.retryable, true);
  t.equal((await overflow).id, "rec/full");
  t.equal(system.stats().overflow, 2);
  open();
  await system.whenIdle();
  const r = await system.ask<{ seen: number[] }>("rec/full", { type: "get" });
  t.same(r.seen, [0, 1, 2, 3, 4, 5], "accepted messages are all handled; refused ones are not");
});

t.test("ask - times out with a typed error at the deadline (virtual time)", async (t) => {
  const { system, clock } = testSystem({ askTimeoutMs: 250 });
  system.register(recorder);
  const timedOut = system.events.next("ask-timeout");
  const p = system.ask("rec/x", { type: "never" });
  system.runReady();
  // The ask deadline is a background timer: drive it explicitly.
  t.equal(clock.now(), 0);
  while (clock.pending > 0 && clock.now() < 250) clock.fireNext();
  const err = await p.then(() => undefined, (e: unknown) => e);
  t.type(err, AskTimeoutError);
  t.equal((err as AskTimeoutError).code, "FYP_ERR_ASK_TIMEOUT");
  t.match((err as Error).message, /never to rec\/x timed out after 250 ms/);
  t.equal(clock.now(), 250, "fired exactly at the deadline");
  t.equal((await timedOut).msgType, "never");
  t.equal(system.stats().askTimeouts, 1);
});

t.test("handler exceptions fail that message only", async (t) => {
  const { system } = testSystem();
  system.register(recorder).register(syncCounter);
  const failed = system.events.next("message-failed");
  system.tell("cnt/1", { type: "inc" });
  system.tell("cnt/1", { type: "boom" });
  system.tell("cnt/1", { type: "inc" });
  const ev = await failed;
  t.equal(ev.id, "cnt/1");
  t.equal(ev.msgType, "boom");
  t.equal(await system.ask("cnt/1", { type: "get" }), 2, "messages after the failure are handled");
  const asyncErr = await system.ask("rec/1", { type: "boom" }).then(() => undefined, (e: unknown) => e);
  t.type(asyncErr, HandlerFailedError, "an ask whose handler throws rejects with HandlerFailedError");
  t.match((asyncErr as Error).message, /rec\/1 failed to handle boom: kaboom/);
  const syncErr = await system.ask("cnt/1", { type: "boom" }).then(() => undefined, (e: unknown) => e);
  t.type(syncErr, HandlerFailedError);
  t.equal(system.stats().failed, 3);
  t.equal(await system.ask("cnt/1", { type: "get" }), 2, "state survives");
});

t.test("addressing - unknown kinds and malformed ids are typed errors", async (t) => {
  const { system } = testSystem();
  system.register(syncCounter);
  t.throws(() => system.tell("nope/1", { type: "inc" }), UnknownActorKindError);
  t.throws(() => system.tell("no-slash", { type: "inc" }), InvalidActorIdError);
  t.throws(() => system.tell("cnt/", { type: "inc" }), InvalidActorIdError);
  await t.rejects(system.ask("nope/2", { type: "get" }), UnknownActorKindError);
});

t.test("timers - one-shot and periodic timers fire at exact virtual times", async (t) => {
  type M = { type: "start" } | { type: "tick"; label: string } | { type: "stop" } | { type: "get" };
  const fired: string[] = [];
  const timerActor = defineActor<{ ticks: number }, M>({
    kind: "timer",
    initialState: () => ({ ticks: 0 }),
    receive(ctx, msg) {
      switch (msg.type) {
        case "start":
          ctx.setTimer("once", 1500, { type: "tick", label: "once" });
          ctx.setTimer("every", 1000, { type: "tick", label: "every" }, true);
          ctx.setTimer("cancelled", 500, { type: "tick", label: "cancelled" });
          ctx.cancelTimer("cancelled");
          return undefined;
        case "tick":
          fired.push(`${ctx.clock.now()}:${msg.label}`);
          ctx.state.ticks++;
          if (ctx.state.ticks === 4) ctx.cancelTimer("every");
          return undefined;
        case "stop":
        case "get":
          return ctx.state.ticks;
      }
    },
  });
  const { system, clock } = testSystem();
  system.register(timerActor);
  system.tell("timer/t", { type: "start" });
  await driveVirtual(system, clock);
  t.same(fired, ["1000:every", "1500:once", "2000:every", "3000:every"]);
  t.equal(clock.now(), 3000, "time stops at the last timer: nothing else is due");
  t.equal(clock.pendingForeground, 0);
});

t.test("passivation - each actor's idle time is its own, also when actors come and go many times", async (t) => {
  const { system, clock } = testSystem({ passivationIdleMs: 10_000, sweepIntervalMs: 0 });
  system.register(syncCounter);
  const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `cnt/x${from + i}`);
  const touch = async (list: string[]): Promise<void> => {
    for (const id of list) system.tell(id, { type: "inc" });
    await system.whenIdle();
  };
  // 3,000 actors (more rows than the table starts with), a third of them touched again later
  await touch(ids(0, 3000));
  clock.advanceTo(6_000);
  await touch(ids(0, 1000));
  clock.advanceTo(12_000);
  t.equal(system.sweep(), 2000, "only those idle for 10 s go (the 2,000 last seen at 0)");
  t.ok(ids(0, 1000).every((id) => system.isActive(id)), "every actor touched at 6 s still active");
  // newcomers take the freed rows: they start idle from their own activation, not the rows' old times
  await touch(ids(3000, 4500));
  clock.advanceTo(17_000);
  t.equal(system.sweep(), 1000, "the 1,000 last seen at 6 s; newcomers from 12 s stay");
  t.ok(ids(3000, 4500).every((id) => system.isActive(id)), "every newcomer still active");
  clock.advanceTo(22_000);
  t.equal(system.sweep(), 1500, "then the newcomers");
  // a passivated actor comes back with its state, and its own new idle time
  t.equal(await system.ask("cnt/x2500", { type: "get" }), 1);
  clock.advanceTo(31_000);
  t.equal(system.sweep(), 0, "reactivated at 22 s: not idle for 10 s yet at 31 s");
  clock.advanceTo(32_000);
  t.equal(system.sweep(), 1);
});

t.test("passivation - idle actors are swept into the store and restored transparently", async (t) => {
  const { system, clock } = testSystem({ passivationIdleMs: 10_000, sweepIntervalMs: 5_000 });
  system.register(syncCounter);
  for (let i = 0; i < 3; i++) system.tell("cnt/p", { type: "inc" });
  system.runReady();
  t.ok(system.isActive("cnt/p"));
  const passivated = system.events.next("passivated", (e) => e.id === "cnt/p");
  // Sweeps are background timers: fire them until the actor is gone.
  while (system.isActive("cnt/p")) clock.fireNext();
  await passivated;
  t.equal(clock.now(), 10_000, "swept at the first sweep after the idle time");
  t.equal(system.stats().passivations, 1);
  const activated = system.events.next("activated", (e) => e.id === "cnt/p");
  t.equal(await system.ask("cnt/p", { type: "get" }), 3);
  t.equal((await activated).restored, true);
  t.equal(system.stats().reactivations, 1);
});
