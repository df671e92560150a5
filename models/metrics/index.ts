export { gini, sparseGini, sortedSparseGini, uniformGiniFloor, excessGini, uniformCoverage, catalogCoverage, categoryEntropy, intraListDiversity, jensenShannon, filterBubbleIndex } from "./diversity-metrics.ts";
export { coldStartScore, viralDecision } from "./cold-start-score.ts";
export type { StagePerformance, ViralLadder, ColdStartConfig, ViralDecision } from "./cold-start-score.ts";
export { HomogenizationStabilizer } from "./homogenization-stabilizer.ts";
export type { StabilizerConfig, StabilizerSettings, StabilizerState, HomogenizationMetrics } from "./homogenization-stabilizer.ts";
export { ExposureWindow } from "./exposure-window.ts";
export type { ExposureWindowState } from "./exposure-window.ts";
