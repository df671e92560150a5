import type { Command } from "../cli.ts";
import { configCommand } from "./config.ts";
import { dataCommand } from "./data.ts";
import { simulateCommand } from "./simulate.ts";
import { versionCommand } from "./version.ts";

/** Every sub-command, in help order. */
export const commands: Command[] = [simulateCommand, dataCommand, configCommand, versionCommand];
