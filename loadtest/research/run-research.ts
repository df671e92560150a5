import type { Logger } from "pino";
import type { Config } from "../../configs/index.ts";
import { runSimulation, type SimulationHooks, type SimulationResult } from "../simulate.ts";
import { ResearchRecorder, type ResearchData } from "./research-recorder.ts";

/** One simulation with its research time series. */
export interface ResearchRun {
  result: SimulationResult;
  research: ResearchData;
}

/** `runSimulation` with a `ResearchRecorder` attached (config `research`); the run itself is unchanged. */
export async function runResearch(config: Readonly<Config>, log: Logger, hooks: Omit<SimulationHooks, "observer"> = {}): Promise<ResearchRun> {
  const recorder = new ResearchRecorder({ ...config.research, stages: config.feed.viral.stageBudgets.length });
  const result = await runSimulation(config, log, { ...hooks, observer: recorder });
  return { result, research: recorder.data() };
}
