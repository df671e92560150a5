export { runSimulation } from "./simulate.ts";
export type { SimulationSummary } from "./simulate.ts";
export { createProgress } from "./progress.ts";
export type { Progress } from "./progress.ts";
