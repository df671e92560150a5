import type { ExperimentSpec, MetricName } from "./experiment.ts";

/**
 * The feedback-loop replication (after Chaney, Stewart & Engelhardt, RecSys 2018): the same returning
 * population served by pure exploitation (no novelty slots, no exploration candidates, no LinUCB bonus,
 * stabilizer off, diversity rules loosened to no-ops) versus exploration + diversity rules + the
 * homogenization stabilizer (the shipped defaults). Users return often (up to 12 sessions) so the loop has
 * time to act. `fyp experiment replication` runs it; every number in its table comes from these arms.
 */
export function replicationExperiment(): ExperimentSpec {
  return {
    name: "replication: exploitation vs exploration + diversity + stabilizer",
    base: {
      simulate: { sessions: 200, videos: 2000, sessionsPerUser: 12, returnProbability: 0.95, returnDelayMs: 600_000 },
      // Chaney et al.'s protocol: 20 minutes of random recommendations first, so both arms' loops start from
      // the same unbiased data, and the early phases measure that start
      feed: { warmupMs: 1_200_000 },
      research: { phaseItems: 2000, lateShare: 0.25 },
    },
    arms: [
      {
        name: "exploit",
        description: "pure exploitation: novelty 0, no exploration source, LinUCB alpha 0, stabilizer off, loose policy",
        overrides: {
          exploration: { noveltyRate: 0, linucb: { alpha: 0 } },
          retrieval: { quotas: { exploration: 0 } },
          // with the stabilizer off its settings still bound the policy: make them no-ops too
          homogenization: { enabled: false, noveltyMin: 0, categoryShareCapLoose: 1, maxCategoryRunLoose: 1000 },
          policy: { maxCategoryRun: 1000, adjacentSimilarityMax: 1, authorCap: 1000, categoryShareCap: 1 },
        },
      },
      {
        name: "explore",
        description: "exploration + diversity + stabilizer (the shipped defaults)",
        overrides: {},
      },
    ],
    baseline: "exploit",
  };
}

/** The rows the replication prints. */
export const REPLICATION_METRICS: MetricName[] = [
  "gini", "coverage", "lateGini", "lateGiniExcess", "lateCoverage", "lateEntropy", "lateIld", "lateFilterBubble", "lateHomogeneity",
  "driftGini", "driftGiniExcess", "driftCoverage", "driftFilterBubble", "driftHomogeneity", "watchTimePerSessionS", "itemsPerSession", "completionRate", "skipRate",
];
