import type { Command } from "../cli.ts";
import { configCommand } from "./config.ts";
import { dataCommand } from "./data.ts";
import { simulateCommand } from "./simulate.ts";
import { serveCommand } from "./serve.ts";
import { loadtestCommand } from "./loadtest.ts";
import { versionCommand } from "./version.ts";

/** Every sub-command, in help order. */
export const commands: Command[] = [simulateCommand, serveCommand, loadtestCommand, dataCommand, configCommand, versionCommand];

// content model and catalog embedding (issue 4), listed after `data`
import { embedCommand } from "./embed.ts";
import { trainCommand } from "./train.ts";
commands.splice(commands.indexOf(dataCommand) + 1, 0, trainCommand, embedCommand);

// ranker evaluation (issue 5), after train/embed
import { evalCommand } from "./ranker.ts";
commands.splice(commands.indexOf(trainCommand) + 1, 0, evalCommand);

// research experiments (issue 9), after simulate
import { experimentCommand } from "./experiment.ts";
commands.splice(commands.indexOf(simulateCommand) + 1, 0, experimentCommand);

// cluster mode (issue 8), after serve
import { clusterCommand, nodeCommand } from "./node.ts";
commands.splice(commands.indexOf(serveCommand) + 1, 0, nodeCommand, clusterCommand);
