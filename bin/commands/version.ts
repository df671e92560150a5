import { readFileSync } from "node:fs";
import { PROTOCOL_VERSION } from "../../protocols/index.ts";
import type { Command } from "../cli.ts";

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export const versionCommand: Command = {
  name: "version",
  summary: "print the version, protocol version and runtime",
  usage: "fyp version",
  options: {},
  async run(ctx) {
    ctx.out(JSON.stringify({ version: packageVersion(), protocol: PROTOCOL_VERSION, node: process.version }));
    return 0;
  },
};
