import t from "tap";
import { hash32 } from "../../protocols/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { silentLogger } from "../../cluster/index.ts";
import { runSimulation } from "../../loadtest/index.ts";

const config = (seed: number) =>
  loadConfig({
    env: {},
    overrides: {
      "simulate.seed": seed, "simulate.sessions": 120, "simulate.videos": 400, "simulate.progress": false,
      "simulate.arrivalWindowMs": 60_000, "simulate.returnDelayMs": 120_000, "simulate.uploads.count": 5,
      "actors.passivationIdleMs": 30_000, "actors.sweepIntervalMs": 10_000, "storage.stateStore": "lmdb",
    },
  });

async function run(seed: number): Promise<{ trace: string[]; checksum: string; passivations: number }> {
  const trace: string[] = [];
  let passivations = 0;
  const { summary } = await runSimulation(config(seed), silentLogger(), {
    trace: (at, id, msg) => {
      trace.push(`${at} ${id} ${hash32(JSON.stringify(msg)).toString(16)}`);
      if (msg.type === "session.leave") passivations++;
    },
  });
  return { trace, checksum: summary.checksum, passivations };
}

t.test("determinism - one seed gives the identical event trace, another seed a different one", async (t) => {
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  t.ok(a.trace.length > 5000, `a long trace (${a.trace.length} messages)`);
  t.ok(a.passivations > 0, "sessions leave (and passivate) during the run");
  t.equal(a.trace.length, b.trace.length);
  const firstDiff = a.trace.findIndex((line, i) => line !== b.trace[i]);
  t.equal(firstDiff, -1, "same seed: identical traces, message by message");
  t.equal(a.checksum, b.checksum, "same seed: same summary");
  t.not(a.trace.join("\n"), c.trace.join("\n"), "different seed: different trace");
  t.not(a.checksum, c.checksum);
});
