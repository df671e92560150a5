import { createCodec } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, VirtualClock, type ActorSystemOptions, type StateStore } from "../../actors/index.ts";
import { silentLogger } from "../../cluster/index.ts";

/** An actor system on a virtual clock with small, explicit limits for tests. */
export function testSystem(over: Partial<ActorSystemOptions> & { seed?: number; store?: StateStore } = {}): {
  system: ActorSystem;
  clock: VirtualClock;
} {
  const clock = (over.clock as VirtualClock | undefined) ?? new VirtualClock({ seed: over.seed ?? 1 });
  const system = new ActorSystem({
    clock,
    store: over.store ?? new MemoryStateStore(),
    codec: createCodec(),
    log: silentLogger(),
    mailboxCapacity: 100,
    askTimeoutMs: 1000,
    passivationIdleMs: 10_000,
    sweepIntervalMs: 0,
    throughput: 8,
    dispatchBatch: 10_000,
    ...over,
  });
  return { system, clock };
}
