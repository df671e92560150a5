import t from "tap";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { deserialize, serialize } from "node:v8";
import { NatsTransport, silentLogger } from "../../cluster/index.ts";
import { loadConfig } from "../../configs/index.ts";
import { runResearch, runSimulation, type SimulationSummary } from "../../loadtest/index.ts";
import { InvalidArgumentError } from "../../protocols/index.ts";
import { capturingLogger } from "../helpers/capturing-logger.ts";
import { startNatsServer } from "../helpers/nats-server.ts";
import { ROOT, runCli } from "../helpers/run-cli.ts";

const OVERRIDES = {
  "simulate.seed": 11, "simulate.sessions": 240, "simulate.videos": 600, "simulate.progress": false,
  "simulate.arrivalWindowMs": 60_000, "simulate.returnDelayMs": 120_000, "simulate.uploads.count": 6, "simulate.uploads.everyMs": 20_000,
  "actors.passivationIdleMs": 30_000, "actors.sweepIntervalMs": 10_000, "storage.stateStore": "memory",
};
const config = (workers: number) => loadConfig({ env: {}, overrides: { ...OVERRIDES, "simulate.workers": workers } });

/** The summary without its wall-time figures (what must repeat for a config + seed + node count). */
function outcome(s: SimulationSummary): Record<string, unknown> {
  const { wallMs: _w, realTimeFactor: _r, eventsPerSec: _e, messagesPerSec: _m, heapBytesPerActor: _h, ...rest } = s;
  return rest;
}

/**
 * The test as a node process of run `run` on another machine: it joins (as `joiner`), and can wait, bounded,
 * for the run's abort (so a driver that never sends it fails the test instead of hanging it).
 */
async function joinAsNode(t: { teardown(f: () => unknown): void }, url: string, run: string, joiner = `tap:${run}`) {
  const node = await NatsTransport.connect({ servers: url, name: `tap-${run}-node`, log: silentLogger() });
  t.teardown(() => node.close());
  let aborted!: () => void;
  const abort = new Promise<void>((resolve) => (aborted = resolve));
  node.subscribe(`fyp.sim.${run}.abort`, () => aborted());
  await node.flush();
  const join = async (who: string) => deserialize(await node.request(`fyp.sim.${run}.join`, serialize(who), 10_000)) as { ok: boolean; error?: string; setup?: { index: number; count: number } };
  const answer = await join(joiner);
  const abortWithin = async (ms: number, what: string): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([abort, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`no abort within ${ms} ms ${what}`)), ms)))]);
    clearTimeout(timer);
  };
  return { node, answer, join, abortWithin };
}

t.test("simulation over NATS", async (t) => {
  const nats = await startNatsServer({ jetstream: false });
  t.teardown(() => nats.stop());

  t.test("the nodes as processes meeting over NATS make the same run as worker threads, research outputs included", async (t) => {
    const threads = await runResearch(config(2), silentLogger());
    // parts of at most 2 KiB: ~230 of this run's posts go in 2-10 messages each and are put back together,
    // and so do the nodes' research observations and results
    const overNats = await runResearch(config(2), silentLogger(), { nats: { servers: nats.url, partBytes: 2048 } });
    const a = threads.result, b = overNats.result;
    t.equal(b.summary.workers, 2);
    t.equal(b.summary.failedMessages, 0);
    t.ok(b.nodes!.crossings > 0, `messages crossed between the processes (${b.nodes!.crossings})`);
    t.same(outcome(b.summary), outcome(a.summary), `same summary as the threads' run, checksum ${a.summary.checksum}`);
    const { waitMs: _wa, ...lockstepA } = a.nodes!;
    const { waitMs: _wb, maxRssBytes: rss, ...lockstepB } = b.nodes!;
    t.same(lockstepB, lockstepA, "same epochs, crossings, delivery lag and items per node");
    t.equal(rss?.length, 2, "and each node process's peak RSS (the threads' run has none: one process)");
    t.same(b.homogenization, a.homogenization, "same homogenization samples");
    t.same(overNats.research, threads.research, "the research recorder got the same observations, merged the same");
  });

  t.test("a node joins from another process (`fyp simulate --join`), started before the driver", async (t) => {
    const threads = await runSimulation(config(2), silentLogger());
    // the joining process asks until the driver is up
    const joiner = runCli(["simulate", "--join", "tap-join", "--nats", nats.url, "--log-level", "warn"]);
    const driven = await runSimulation(config(2), silentLogger(), { nats: { servers: nats.url, run: "tap-join", localNodes: 1 } });
    const joined = await joiner;
    t.equal(joined.code, 0, `the joining process ran its node and exited 0 (stderr: ${joined.stderr.slice(-500)})`);
    t.equal(joined.stdout, "", "a joining process prints nothing (the driver prints the summary)");
    t.same(outcome(driven.summary), outcome(threads.summary), `same run as the threads' (checksum ${threads.summary.checksum})`);
  });

  t.test("the CLI: --nats runs the nodes as processes, and prints the same summary line", async (t) => {
    const args = ["simulate", "--sessions", "200", "--videos", "500", "--seed", "5", "--workers", "2", "--no-progress", "--log-level", "warn", "--set", "storage.stateStore=memory"];
    const threads = await runCli(args);
    const overNats = await runCli([...args, "--nats", nats.url]);
    t.equal(threads.code, 0, threads.stderr.slice(-500));
    t.equal(overNats.code, 0, overNats.stderr.slice(-500));
    type Line = SimulationSummary & { maxRssBytes: number; nodeMaxRssBytes?: number[] };
    const x = JSON.parse(threads.stdout) as Line, y = JSON.parse(overNats.stdout) as Line;
    t.equal(y.workers, 2);
    t.equal(y.checksum, x.checksum, "same checksum over NATS as over threads");
    t.equal(y.items, x.items);
    t.equal(x.nodeMaxRssBytes, undefined, "threads: one process, one peak RSS");
    t.equal(y.nodeMaxRssBytes?.length, 2, "over NATS: each node process's peak RSS");
    t.ok(y.nodeMaxRssBytes!.every((b) => b > 10 * 2 ** 20), `each above 10 MiB (${y.nodeMaxRssBytes!.join(", ")})`);
    t.ok(y.maxRssBytes > y.nodeMaxRssBytes![0]! + y.nodeMaxRssBytes![1]!, "maxRssBytes counts the driver's and the nodes' peaks");
    const joinWithSettings = await runCli(["simulate", "--join", "x", "--nats", nats.url, "--sessions", "5"]);
    t.not(joinWithSettings.code, 0);
    t.match(joinWithSettings.stderr, /the run's settings come from its driver; drop --sessions/);
    const bad = await runCli([...args, "--nats", nats.url, "--local-nodes", "3"]);
    t.not(bad.code, 0, "more local nodes than workers is refused");
    t.match(bad.stderr, /localNodes.*must be an integer from 0 to simulate.workers \(2\)/, "naming the option and the rule");
    const stray = await runCli([...args, "--local-nodes", "1"]);
    t.not(stray.code, 0);
    t.match(stray.stderr, /--run and --local-nodes go with --nats URL/);
  });

  t.test("a node that joins and then sends nothing: its peer gives up after peerTimeoutMs and the run fails saying so, without hanging", async (t) => {
    const capture = capturingLogger();
    const run = runSimulation(config(2), capture.log, { nats: { servers: nats.url, run: "tap-silent", localNodes: 1, peerTimeoutMs: 1500 } });
    const rejected = t.rejects(run, /node 0 got no post 1 from node 1 within 1500 ms/, "the driver reports the silent node by number");
    // a second process joins as node 1, says it is ready, and goes silent
    await capture.nth("simulation node joined", 1);
    const { node: silent, answer, join } = await joinAsNode(t, nats.url, "tap-silent");
    t.ok(answer.ok, "the driver gave the second process a node");
    t.equal(answer.setup?.index, 1);
    t.equal(answer.setup?.count, 2);
    t.same(await join("tap:third"), { ok: false, error: "run tap-silent has all its 2 nodes" }, "a third process is told the run is full");
    // one report in one part: the header is (report 1, node 1, part 0, of 1 part), four big-endian words
    const ready = serialize({ t: "ready" });
    const frame = new Uint8Array(16 + ready.length);
    const header = new DataView(frame.buffer);
    header.setUint32(0, 1);
    header.setUint32(4, 1);
    header.setUint32(8, 0);
    header.setUint32(12, 1);
    frame.set(ready, 16);
    silent.publish("fyp.sim.tap-silent.report.1", frame);
    await rejected;
    const node0 = Number(String((await capture.nth("simulation node joined", 1)).joiner).split(":").at(-1));
    t.throws(() => process.kill(node0, 0), { code: "ESRCH" }, "node 0's process has ended");
  });

  t.test("a local node process that dies: the run fails naming it, and the other node is stopped", async (t) => {
    const capture = capturingLogger();
    const run = runSimulation(config(2), capture.log, { nats: { servers: nats.url, run: "tap-kill" } });
    const rejected = t.rejects(run, /simulation node process \d+ \(node 1\) exited \(SIGKILL\) before its result/);
    // the second node process to join is killed as soon as it has its node
    const second = await capture.nth("simulation node joined", 2);
    t.equal(second.node, 1);
    const pid = (line: Record<string, unknown>) => Number(String(line.joiner).split(":").at(-1));
    process.kill(pid(second), "SIGKILL");
    await rejected;
    const first = await capture.nth("simulation node joined", 1);
    t.throws(() => process.kill(pid(first), 0), { code: "ESRCH" }, "node 0's process is gone once the run has failed");
  });

  t.test("too few nodes join within joinTimeoutMs: the run fails saying how many came and how the others join, and tells the nodes to stop", async (t) => {
    const capture = capturingLogger();
    // no local node: the test joins as one of the two, and nobody else comes
    const run = runSimulation(config(2), capture.log, { nats: { servers: nats.url, run: "tap-few", localNodes: 0, joinTimeoutMs: 5000 } });
    const rejected = t.rejects(run, /only 1 of 2 simulation nodes joined run tap-few within 5000 ms \(others join with: fyp simulate --join tap-few --nats nats:\/\/127\.0\.0\.1:\d+\)/);
    const waiting = await capture.nth("waiting for simulation nodes to join from other machines", 1);
    t.equal(waiting.join, `fyp simulate --join tap-few --nats ${nats.url}`, "the driver logged the command that joins the run");
    const { answer, abortWithin } = await joinAsNode(t, nats.url, "tap-few");
    t.equal(answer.setup?.index, 0, "the test's process got node 0");
    await rejected;
    await abortWithin(20_000, "of the failed run");
    t.pass("the driver told the nodes that had joined to stop");
  });

  t.test("a driver stopped by a signal tells its nodes to stop before it ends", async (t) => {
    const driver = spawn(process.execPath, ["--import", "tsx", "bin/fyp.ts", "simulate", "--workers", "2", "--nats", nats.url, "--local-nodes", "0", "--run", "tap-sig", "--sessions", "200", "--videos", "500", "--no-progress"], {
      cwd: ROOT, stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = once(driver, "exit");
    let err = "";
    // the driver is up once it says it waits for nodes; it must not end before that
    await new Promise<void>((resolve, reject) => {
      driver.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("waiting for simulation nodes to join from other machines")) resolve();
      });
      void exited.then(() => reject(new Error(`the driver exited before it waited for nodes: ${err.slice(-800)}`)));
    });
    // the test is a node on another machine that has joined
    const { answer, abortWithin } = await joinAsNode(t, nats.url, "tap-sig");
    t.ok(answer.ok, "joined");
    driver.kill("SIGTERM");
    await abortWithin(20_000, "of the driver's SIGTERM");
    t.pass("the joined node was told to stop");
    const [code, signal] = await exited;
    t.same({ code, signal }, { code: null, signal: "SIGTERM" }, "the driver then ended by the signal");
    t.match(err, /simulation interrupted: telling its nodes to stop/);
  });

  t.test("a joined node whose driver never starts it gives up after its start timeout, reporting why", async (t) => {
    // the test is the driver: it answers the join, collects node 1's reports, and never sends the start
    const driver = await NatsTransport.connect({ servers: nats.url, name: "tap-nostart-driver", log: silentLogger() });
    t.teardown(() => driver.close());
    const reports: { t: string; error?: { message: string } }[] = [];
    driver.subscribe("fyp.sim.tap-nostart.report.1", (data) => {
      const h = new DataView(data.buffer, data.byteOffset, 16);
      t.equal(h.getUint32(12), 1, "each report fits one part here");
      reports.push(deserialize(data.subarray(16)) as { t: string; error?: { message: string } });
    });
    driver.subscribe("fyp.sim.tap-nostart.join", (_data, replyTo) => {
      const reply = { ok: true, setup: { config: config(2), index: 1, count: 2, logLevel: "warn" }, peerTimeoutMs: 1000, partBytes: 1 << 20, startTimeoutMs: 1500 };
      driver.publish(replyTo!, serialize(reply));
    });
    await driver.flush();
    const joined = await runCli(["simulate", "--join", "tap-nostart", "--nats", nats.url, "--log-level", "warn"]);
    t.equal(joined.code, 1, "the joining process exits 1");
    t.same(reports.map((r) => r.t), ["ready", "failed"], "it said it was ready, then that it failed");
    t.match(reports[1]?.error?.message, /no start from the driver of simulation run tap-nostart within 1500 ms/);
  });

  t.test("a joined node whose driver goes silent (killed without a word) stops after driverTimeoutMs", async (t) => {
    // the test is the driver again: it answers the join with signs of life every 100 ms, sends one, and dies
    const driver = await NatsTransport.connect({ servers: nats.url, name: "tap-gone-driver", log: silentLogger() });
    t.teardown(() => driver.close());
    const reports: { t: string; error?: { message: string } }[] = [];
    driver.subscribe("fyp.sim.tap-gone.report.1", (data) => void reports.push(deserialize(data.subarray(16)) as { t: string; error?: { message: string } }));
    driver.subscribe("fyp.sim.tap-gone.join", (_data, replyTo) => {
      const reply = { ok: true, setup: { config: config(2), index: 1, count: 2, logLevel: "warn" }, peerTimeoutMs: 120_000, partBytes: 1 << 20, startTimeoutMs: 600_000, aliveMs: 100, driverTimeoutMs: 800 };
      driver.publish(replyTo!, serialize(reply));
      driver.publish("fyp.sim.tap-gone.alive", new Uint8Array(0));
    });
    await driver.flush();
    const joined = await runCli(["simulate", "--join", "tap-gone", "--nats", nats.url, "--log-level", "warn"]);
    t.equal(joined.code, 1, "the joining process exits 1, long before its 600 s start timeout");
    t.same(reports.map((r) => r.t), ["ready", "failed"]);
    t.match(reports[1]?.error?.message, /the driver of simulation run tap-gone went silent \(no sign of it for \d+ ms\)/);
    t.match(joined.stderr, /simulation driver gone: stopping/);
  });

  t.test("bad options are refused with the option named", async (t) => {
    await t.rejects(runSimulation(config(1), silentLogger(), { nats: { servers: nats.url } }), InvalidArgumentError, "one node over NATS");
    await t.rejects(runSimulation(config(1), silentLogger(), { nats: { servers: nats.url } }), /simulate.workers.*must be at least 2 for a run over NATS/);
    await t.rejects(runSimulation(config(2), silentLogger(), { nats: { servers: nats.url, run: "a.b" } }), /run.*must be 1-64 letters, digits/);
    await t.rejects(runSimulation(config(2), silentLogger(), { nats: { servers: nats.url, partBytes: 0 } }), /partBytes.*must be a positive integer/);
    await t.rejects(runSimulation(config(2), silentLogger(), { nats: { servers: nats.url, driverTimeoutMs: 1.5 } }), /driverTimeoutMs.*must be a positive integer/);
  });
});
