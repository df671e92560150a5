import type { Command } from "../cli.ts";

export const configCommand: Command = {
  name: "config",
  summary: "print the effective configuration (after profile, file, environment and --set)",
  usage: "fyp config [--profile NAME] [--set PATH=VALUE]",
  options: {},
  async run(ctx) {
    ctx.out(JSON.stringify(ctx.config(), null, 2));
    return 0;
  },
};
