import { parseArgs, type ParseArgsConfig } from "node:util";
import { setFlagsFromString } from "node:v8";
import { loadConfig, type Config } from "../configs/index.ts";
import { createLogger } from "../cluster/index.ts";
import type { Logger } from "pino";

/** One `fyp` sub-command. Commands are thin: parse flags, call into the library, print. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** Loads the config with the global flags (and the command's overrides). */
  config(overrides?: Record<string, unknown>): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  out(line: string): void;
}

/** Flags every command takes. */
export const globalOptions = {
  profile: { type: "string" },
  config: { type: "string" },
  set: { type: "string", multiple: true },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

export const globalUsage = `Global flags:
  --profile NAME      config profile: default, seed, small (env FYP_PROFILE)
  --config FILE       JSON config overrides (env FYP_CONFIG)
  --set PATH=VALUE    override one field, e.g. --set actors.mailboxCapacity=500 (repeatable)
  --log-level LEVEL   trace|debug|info|warn|error|silent (logs go to stderr as JSON lines)
Environment: FYP_<SECTION>__<FIELD>=value, e.g. FYP_SIMULATE__SESSIONS=1000`;

export function parseSet(list: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of list ?? []) {
    const i = item.indexOf("=");
    if (i <= 0) throw new Error(`--set expects PATH=VALUE, got "${item}"`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

export function buildContext(cmd: Command, argv: string[]): CommandContext {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...globalOptions, ...cmd.options },
    allowPositionals: true,
    strict: true,
  });
  return {
    values,
    positionals,
    config(overrides = {}) {
      const logLevel = values["log-level"];
      return loadConfig({
        profile: values.profile as string | undefined,
        file: values.config as string | undefined,
        overrides: {
          ...(typeof logLevel === "string" ? { "log.level": logLevel } : {}),
          ...parseSet(values.set as string[] | undefined),
          ...overrides,
        },
      });
    },
    logger: (config) => createLogger(config.log.level),
    out: (line) => void process.stdout.write(line + "\n"),
  };
}

/**
 * What a process serving gRPC sets before its catalog and actors fill the heap (`fyp serve`, `fyp node`):
 * V8's heap growth after a major GC (`grpc.heapGrowingPercent`), for fewer, not longer, major GCs.
 */
export function tuneServingHeap(config: Config): void {
  if (config.grpc.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.grpc.heapGrowingPercent}`);
}
