import t from "tap";
import { actorId } from "../../protocols/index.ts";
import { defineActor, driveVirtual, simSessionActor, videoActor, type ActorBehavior, type SimParams } from "../../actors/index.ts";
import { testSystem } from "../helpers/actor-system.ts";

/** Wraps a behaviour so every handled message is appended to `trace` as time, actor and message. */
function traced<S, M extends { type: string }>(b: ActorBehavior<S, M>, trace: string[]): ActorBehavior<S, M> {
  return defineActor<S, M>({
    ...b,
    receive(ctx, msg) {
      trace.push(`${ctx.clock.now()} ${ctx.id} ${JSON.stringify(msg)}`);
      return b.receive(ctx, msg);
    },
  });
}

async function run(seed: number): Promise<{ trace: string[]; passivations: number }> {
  const trace: string[] = [];
  const { system, clock } = testSystem({ seed, passivationIdleMs: 20_000, sweepIntervalMs: 10_000, mailboxCapacity: 10_000 });
  const params: SimParams = { seed, videos: 50, watchesPerSession: 8, thinkTimeMs: 5000 };
  const services = system.services as Record<string, unknown>;
  services.sim = params;
  system.register(traced(simSessionActor, trace)).register(traced(videoActor, trace));
  const arrivals = clock.rng.fork("arrivals");
  for (let i = 0; i < 200; i++) {
    const at = Math.floor(arrivals.next() * 60_000);
    clock.setTimer(at, () => system.tell(actorId("session", "u" + i), { type: "session.start", at: clock.now() }));
  }
  await driveVirtual(system, clock);
  return { trace, passivations: system.stats().passivations };
}

t.test("determinism - one seed gives the identical event trace, another seed a different one", async (t) => {
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  t.ok(a.trace.length > 3000, `a long trace (${a.trace.length} events)`);
  t.ok(a.passivations > 0, "passivation and re-activation happen during the run");
  t.equal(a.trace.length, b.trace.length);
  const firstDiff = a.trace.findIndex((line, i) => line !== b.trace[i]);
  t.equal(firstDiff, -1, "same seed: identical traces, event by event");
  t.not(a.trace.join("\n"), c.trace.join("\n"), "different seed: different trace");
});
