import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start, spawn, dispatch, stop } from "nact";
import { createCodec } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, WallClock, defineActor, type StateStore } from "../../actors/index.ts";
import { LmdbStateStore, silentLogger } from "../../cluster/index.ts";
import { round, type Emit } from "../row.ts";

const counter = defineActor<{ n: number }, { type: "inc" } | { type: "get" }>({
  kind: "c",
  initialState: () => ({ n: 0 }),
  receive(ctx, msg) {
    if (msg.type === "inc") ctx.state.n++;
    else return ctx.state.n;
    return undefined;
  },
});

const empty = defineActor<Record<string, never>, { type: "touch" }>({
  kind: "e",
  initialState: () => ({}),
  receive() {
    return undefined;
  },
});

function makeSystem(store: StateStore = new MemoryStateStore()): ActorSystem {
  return new ActorSystem({
    clock: new WallClock(),
    store,
    codec: createCodec(),
    log: silentLogger(),
    mailboxCapacity: 1_000_000,
    askTimeoutMs: 60_000,
    passivationIdleMs: 3_600_000,
    sweepIntervalMs: 0,
    throughput: 64,
    dispatchBatch: 1_000_000,
  })
    .register(counter)
    .register(empty);
}

function gc(): void {
  global.gc?.();
  global.gc?.();
}

const TELL = { actors: 1000, messages: 2_000_000 };

async function tellRate(): Promise<number> {
  const sys = makeSystem();
  const ids = Array.from({ length: TELL.actors }, (_, i) => `c/${i}`);
  const msg = { type: "inc" } as const;
  for (const id of ids) sys.tell(id, msg); // activate outside the timed part
  await sys.whenIdle();
  const t0 = performance.now();
  for (let i = 0; i < TELL.messages; i++) sys.tell(ids[i % TELL.actors]!, msg);
  await sys.whenIdle();
  const s = (performance.now() - t0) / 1000;
  const total = await sys.ask<number>(ids[0]!, { type: "get" });
  if (total !== 1 + TELL.messages / TELL.actors) throw new Error(`tell bench lost messages: ${total}`);
  await sys.stop();
  return TELL.messages / s;
}

async function nactTellRate(): Promise<number> {
  const system = start();
  let processed = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const target = TELL.messages + TELL.actors;
  const actors = Array.from({ length: TELL.actors }, (_, i) =>
    spawn(
      system,
      (state: number = 0) => {
        if (++processed === target) done();
        return state + 1;
      },
      `c${i}`,
    ),
  );
  for (const a of actors) dispatch(a, { type: "inc" });
  const t0 = performance.now();
  for (let i = 0; i < TELL.messages; i++) dispatch(actors[i % TELL.actors]!, { type: "inc" });
  await finished;
  const s = (performance.now() - t0) / 1000;
  stop(system);
  return TELL.messages / s;
}

async function askRate(): Promise<number> {
  const sys = makeSystem();
  const ids = Array.from({ length: 1000 }, (_, i) => `c/${i}`);
  for (const id of ids) sys.tell(id, { type: "inc" });
  await sys.whenIdle();
  const rounds = 300;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) await Promise.all(ids.map((id) => sys.ask(id, { type: "get" })));
  const s = (performance.now() - t0) / 1000;
  await sys.stop();
  return (rounds * ids.length) / s;
}

async function activation(n: number): Promise<{ rate: number; bytes: number }> {
  const sys = makeSystem();
  const ids = Array.from({ length: n }, (_, i) => `e/${i}`);
  const msg = { type: "touch" } as const;
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    sys.tell(ids[i]!, msg);
    if ((i & 65535) === 65535) sys.runReady();
  }
  await sys.whenIdle();
  const s = (performance.now() - t0) / 1000;
  gc();
  const after = process.memoryUsage().heapUsed;
  if (sys.stats().active !== n) throw new Error(`expected ${n} active actors, got ${sys.stats().active}`);
  // The ids array is the caller's, not the system's: do not count it.
  const bytes = (after - before) / n;
  await sys.stop();
  return { rate: n / s, bytes };
}

async function passivateReactivate(n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "fyp-bench-"));
  const store = new LmdbStateStore(dir, { noSync: true });
  const sys = makeSystem(store);
  const ids = Array.from({ length: n }, (_, i) => `c/${i}`);
  for (const id of ids) sys.tell(id, { type: "inc" });
  await sys.whenIdle();
  const rounds = 3;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const id of ids) sys.passivate(id);
    await sys.flushWrites();
    for (const id of ids) sys.tell(id, { type: "inc" });
    await sys.whenIdle();
  }
  const s = (performance.now() - t0) / 1000;
  const v = await sys.ask<number>(ids[0]!, { type: "get" });
  if (v !== rounds + 1) throw new Error(`state lost across passivation: ${v}`);
  await sys.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return (rounds * n) / s;
}

export async function run(emit: Emit): Promise<void> {
  // warm-up both implementations so the JIT is fair to each
  await tellRate();
  await nactTellRate();
  const ours = Math.max(await tellRate(), await tellRate());
  const nact = Math.max(await nactTellRate(), await nactTellRate());
  emit({ name: "actors.tell", value: Math.round(ours), unit: "msg/s", config: TELL });
  emit({ name: "actors.tell.nact", value: Math.round(nact), unit: "msg/s", config: TELL });
  emit({ name: "actors.tell.vs_nact", value: round(ours / nact), unit: "x", baseline: Math.round(nact), ratio: round(ours / nact), config: TELL });
  emit({ name: "actors.ask", value: Math.round(await askRate()), unit: "round trips/s", config: { actors: 1000, concurrent: 1000 } });
  const small = await activation(200_000);
  void small;
  const big = await activation(1_000_000);
  emit({ name: "actors.activate", value: Math.round(big.rate), unit: "activations/s", config: { actors: 1_000_000 } });
  emit({ name: "actors.bytes_per_actor", value: Math.round(big.bytes), unit: "bytes", config: { actors: 1_000_000, state: "{}" } });
  emit({ name: "actors.passivate_reactivate", value: Math.round(await passivateReactivate(100_000)), unit: "cycles/s", config: { actors: 100_000, store: "lmdb" } });
}
