import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../protocols/index.ts";
import { configSchema, type Config } from "./config-schema.ts";
import type { Spec } from "./schema.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
/** Environment overrides: `FYP_<SECTION>__<FIELD>`, e.g. `FYP_ACTORS__MAILBOX_CAPACITY=500`. */
export const ENV_PREFIX = "FYP_";
/** Environment variables with the prefix that are not field paths. */
const RESERVED_ENV = new Set(["FYP_PROFILE", "FYP_CONFIG"]);

export interface LoadOptions {
  /** A profile name from configs/profiles (`seed`, `small`); default: FYP_PROFILE or none. */
  profile?: string;
  /** A JSON file with overrides; default: FYP_CONFIG or none. */
  file?: string;
  /** Dotted-path overrides applied last, e.g. `{ "simulate.sessions": 1000 }`. */
  overrides?: Record<string, unknown>;
  /** The environment to read; default process.env. Pass `{}` for none. */
  env?: Record<string, string | undefined>;
}

export function profileNames(): string[] {
  return ["seed", "small"];
}

function readJson(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(what, path, `file cannot be read (${(e as Error).message})`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("top level is not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(what, path, `must be a JSON object (${(e as Error).message})`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** Finds the spec at a dotted path, matching names case-insensitively and ignoring underscores. */
function specAt(path: string[], source: string): { spec: Spec<unknown>; keys: string[] } {
  let spec: Spec<unknown> = configSchema as Spec<unknown>;
  const keys: string[] = [];
  for (const part of path) {
    const fields = spec.fields;
    const want = part.replace(/_/g, "").toLowerCase();
    const key = fields && Object.keys(fields).find((k) => k.toLowerCase() === want);
    if (!fields || !key) {
      throw new ConfigError([...keys, part].join("."), undefined, "is not a known field", source);
    }
    keys.push(key);
    spec = fields[key] as Spec<unknown>;
  }
  return { spec, keys };
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let o = target;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(o[k])) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

function envOverrides(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || RESERVED_ENV.has(name) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split("__");
    const { spec, keys } = specAt(path, `environment variable ${name}`);
    setPath(out, keys, spec.fromString(raw, keys.join(".")));
  }
  return out;
}

/**
 * Builds the configuration: default.json <- profile <- file <- environment <- overrides, then validates
 * the result as a whole (unknown keys rejected; errors name field, value and rule).
 */
export function loadConfig(opts: LoadOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  let merged = readJson(join(HERE, "default.json"), "default.json");
  const profile = opts.profile ?? env.FYP_PROFILE;
  if (profile !== undefined && profile !== "" && profile !== "default") {
    if (!profileNames().includes(profile)) {
      throw new ConfigError("profile", profile, `must be one of default, ${profileNames().join(", ")}`);
    }
    merged = deepMerge(merged, readJson(join(HERE, "profiles", `${profile}.json`), `profile ${profile}`));
  }
  const file = opts.file ?? env.FYP_CONFIG;
  if (file) {
    const path = resolve(file);
    if (!existsSync(path)) throw new ConfigError("config file", file, "must exist");
    merged = deepMerge(merged, readJson(path, `config file ${file}`));
  }
  merged = deepMerge(merged, envOverrides(env));
  if (opts.overrides) {
    const over: Record<string, unknown> = {};
    for (const [dotted, value] of Object.entries(opts.overrides)) {
      const { spec, keys } = specAt(dotted.split("."), "overrides");
      setPath(over, keys, typeof value === "string" ? spec.fromString(value, keys.join(".")) : value);
    }
    merged = deepMerge(merged, over);
  }
  const config = configSchema.validate(merged, "");
  crossCheck(config);
  return deepFreeze(config);
}

function crossCheck(c: Config): void {
  if (c.actors.sweepIntervalMs > 0 && c.actors.sweepIntervalMs > c.actors.passivationIdleMs) {
    throw new ConfigError(
      "actors.sweepIntervalMs",
      c.actors.sweepIntervalMs,
      `must be <= actors.passivationIdleMs (${c.actors.passivationIdleMs}) so idle actors are found in time`,
    );
  }
}

function deepFreeze<T>(o: T): T {
  if (isPlainObject(o) || Array.isArray(o)) {
    for (const v of Object.values(o as object)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
