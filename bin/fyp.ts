#!/usr/bin/env -S node --import tsx
import { FypError } from "../protocols/index.ts";
import { buildContext, globalUsage } from "./cli.ts";
import { commands } from "./commands/index.ts";

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "fyp - For-You feed recommender as an actor-model simulation and serving cluster",
    "",
    "Usage: fyp <command> [flags]     (fyp <command> --help for its flags)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    globalUsage,
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help() + "\n");
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") argv = ["version"];
  const cmd = commands.find((c) => c.name === (name === "--version" ? "version" : name));
  if (cmd === undefined) {
    process.stderr.write(`fyp: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  let ctx;
  try {
    ctx = buildContext(cmd, rest);
  } catch (e) {
    process.stderr.write(`fyp ${cmd.name}: ${(e as Error).message}\n\nUsage: ${cmd.usage}\n`);
    return 2;
  }
  if (ctx.values.help) {
    process.stdout.write(`Usage: ${cmd.usage}\n\n${globalUsage}\n`);
    return 0;
  }
  return cmd.run(ctx);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // The CLI edge: typed errors print their code and message, anything else its stack.
    if (e instanceof FypError) process.stderr.write(`fyp: ${e.code}: ${e.message}\n`);
    else process.stderr.write(`fyp: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
