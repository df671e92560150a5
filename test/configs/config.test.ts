import t from "tap";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../protocols/index.ts";
import { loadConfig } from "../../configs/index.ts";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

t.test("config - defaults validate and the seed profile has the seed's dimensions", (t) => {
  const d = loadConfig({ env: {} });
  t.equal(d.cluster.numShards, 1024);
  t.same(d.ranking.weights, { watchTime: 0.4, complete: 0.2, rewatch: 0.15, continue: 0.15, skipFast: 0.05, fatigue: 0.05 });
  const seed = loadConfig({ profile: "seed", env: {} });
  t.same(
    [seed.dims.visual, seed.dims.audio, seed.dims.text, seed.dims.content, seed.dims.interestShort, seed.dims.interestMid, seed.dims.interestLong],
    [512, 256, 256, 768, 128, 256, 512],
  );
  const small = loadConfig({ profile: "small", env: {} });
  t.ok(small.dims.content < d.dims.content, "small is smaller than the default");
  t.ok(Object.isFrozen(d.actors), "config is immutable");
  t.end();
});

t.test("config - errors name the field, the value and the rule", (t) => {
  const unknown = configError(() => loadConfig({ env: {}, overrides: { "actors.mailboxCapcity": 5 } }));
  t.equal(unknown.field, "actors.mailboxCapcity");
  t.match(unknown.message, /is not a known field/);

  const range = configError(() => loadConfig({ env: {}, overrides: { "actors.mailboxCapacity": 0 } }));
  t.equal(range.field, "actors.mailboxCapacity");
  t.equal(range.value, 0);
  t.match(range.rule, /integer in \[1, 10000000\]/);

  const type = configError(() => loadConfig({ env: {}, overrides: { "simulate.sessions": "many" } }));
  t.equal(type.field, "simulate.sessions");
  t.equal(type.value, "many");

  const enumErr = configError(() => loadConfig({ env: {}, overrides: { "storage.stateStore": "redis" } }));
  t.match(enumErr.message, /config storage.stateStore: must be one of "memory", "lmdb" \(got "redis"\)/);

  const profile = configError(() => loadConfig({ env: {}, profile: "huge" }));
  t.equal(profile.field, "profile");

  const cross = configError(() => loadConfig({ env: {}, overrides: { "actors.sweepIntervalMs": 10_000, "actors.passivationIdleMs": 5_000 } }));
  t.equal(cross.field, "actors.sweepIntervalMs");
  t.match(cross.rule, /<= actors.passivationIdleMs/);
  t.end();
});

t.test("config - a file with an unknown nested key is rejected with its path", (t) => {
  const dir = t.testdir();
  const file = join(dir, "bad.json");
  writeFileSync(file, JSON.stringify({ simulate: { sessions: 10, colour: "red" } }));
  const e = configError(() => loadConfig({ env: {}, file }));
  t.equal(e.field, "simulate.colour");
  const broken = join(dir, "broken.json");
  writeFileSync(broken, "{ not json");
  t.match(configError(() => loadConfig({ env: {}, file: broken })).message, /must be a JSON object/);
  t.end();
});

t.test("config - environment overrides use FYP_<SECTION>__<FIELD> and are validated", (t) => {
  const c = loadConfig({ env: { FYP_SIMULATE__SESSIONS: "1234", FYP_ACTORS__MAILBOX_CAPACITY: "77", FYP_STORAGE__STATE_STORE: "memory", PATH: "/bin" } });
  t.equal(c.simulate.sessions, 1234);
  t.equal(c.actors.mailboxCapacity, 77);
  t.equal(c.storage.stateStore, "memory");
  const bad = configError(() => loadConfig({ env: { FYP_SIMULATE__SESSIONS: "-3" } }));
  t.equal(bad.field, "simulate.sessions");
  const unknown = configError(() => loadConfig({ env: { FYP_SIMULATE__SESSION: "3" } }));
  t.match(unknown.message, /environment variable FYP_SIMULATE__SESSION/);
  const profile = loadConfig({ env: { FYP_PROFILE: "seed" } });
  t.equal(profile.dims.content, 768);
  t.end();
});

t.test("config - precedence: default < profile < file < environment < overrides", (t) => {
  const file = join(t.testdir(), "c.json");
  writeFileSync(file, JSON.stringify({ dims: { content: 100 }, simulate: { seed: 5, videos: 7 } }));
  const c = loadConfig({ profile: "seed", file, env: { FYP_SIMULATE__SEED: "6" }, overrides: { "simulate.videos": 8 } });
  t.equal(c.dims.visual, 512, "from the profile");
  t.equal(c.dims.content, 100, "file beats profile");
  t.equal(c.simulate.seed, 6, "environment beats file");
  t.equal(c.simulate.videos, 8, "overrides beat environment");
  t.end();
});
