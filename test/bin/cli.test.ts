import t from "tap";
import { runCli } from "../helpers/run-cli.ts";

t.test("cli - help lists the commands; version prints versions", async (t) => {
  const help = await runCli(["--help"]);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: fyp <command>/);
  t.match(help.stdout, /simulate\s+run synthetic viewers against the recommender/);
  t.match(help.stdout, /FYP_<SECTION>__<FIELD>/);
  const v = await runCli(["version"]);
  t.equal(v.code, 0);
  const parsed = JSON.parse(v.stdout) as { version: string; protocol: number };
  t.match(parsed.version, /^\d+\.\d+\.\d+/);
  t.equal(parsed.protocol, 1);
});

t.test("cli - simulate on the embedded default prints a JSON summary line", async (t) => {
  const args = ["simulate", "--sessions", "60", "--videos", "300", "--seed", "9", "--set", "simulate.uploads.count=3", "--set", "storage.stateStore=memory"];
  const r = await runCli(args);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  t.equal(lines.length, 1, "stdout is exactly the summary");
  const s = JSON.parse(lines[0]!) as Record<string, number | string | number[]>;
  t.equal(s.users, 60);
  t.equal(s.videos, 300);
  t.equal(s.uploads, 3);
  t.ok((s.items as number) > 60 && (s.sessions as number) >= 60, `viewers watched (${s.items} items in ${s.sessions} sessions)`);
  for (const k of ["watchTimePerSessionS", "completionRate", "skipRate", "coverage", "gini", "filterBubble", "realTimeFactor"]) {
    t.type(s[k], "number", `${k} is reported`);
  }
  t.ok(Array.isArray(s.promotedPerStage), "viral promotions per stage are reported");
  t.equal(s.failedMessages, 0);
  t.ok((s.realTimeFactor as number) > 1, "virtual time runs faster than real time");
  t.match(r.stderr, /"progress":"simulate"/, "progress as log lines when not on a terminal");
  const again = await runCli([...args, "--no-progress"]);
  t.equal((JSON.parse(again.stdout) as { checksum: string }).checksum, s.checksum, "same seed, same outcome");
  t.notMatch(again.stderr, /"progress"/);
});

t.test("cli - bad flags and bad config get a clear message and exit code, no stack trace", async (t) => {
  const flag = await runCli(["simulate", "--sesions", "3"]);
  t.equal(flag.code, 2);
  t.match(flag.stderr, /Unknown option '--sesions'/);
  const cfg = await runCli(["simulate", "--sessions", "0"]);
  t.equal(cfg.code, 1);
  t.match(cfg.stderr, /FYP_ERR_CONFIG: config simulate.sessions: must be an integer in \[1, 100000000\] \(got 0\)/);
  t.notMatch(cfg.stderr, /at .*\.ts:\d+/);
  const env = await runCli(["simulate"], { FYP_SIMULATE__VIDEOS: "lots" });
  t.match(env.stderr, /config simulate.videos: must be an integer/);
  const cmd = await runCli(["simulat"]);
  t.equal(cmd.code, 2);
  t.match(cmd.stderr, /unknown command "simulat"/);
});
