import t from "tap";
import { catalogCoverage, categoryEntropy, coldStartScore, createRng, excessGini, uniformCoverage, filterBubbleIndex, gini, intraListDiversity, sparseGini, uniformGiniFloor, jensenShannon, viralDecision, type ColdStartConfig, type ViralLadder } from "../../../models/index.ts";

const close = (a: number, b: number, eps = 1e-4) => Math.abs(a - b) < eps;

t.test("metrics - Gini, coverage, entropy, JS and intra-list diversity equal hand-computed values", async (t) => {
  t.equal(gini([5, 5, 5, 5]), 0, "equal exposure");
  t.ok(close(gini([0, 0, 0, 10]), 0.75), "one of four takes all: 0.75");
  t.ok(close(gini([4, 1, 3, 2]), 0.25), "1..4: sum|xi−xj| 20 / (2·16·2.5) = 0.25 (order does not matter)");
  t.equal(gini([]), 0);
  t.equal(catalogCoverage([0, 3, 0, 1], 8), 0.25, "2 shown of a catalog of 8");
  t.ok(close(categoryEntropy([1, 1, 2]), 1.5), "p = ¼ ¼ ½ → 1.5 bits");
  t.ok(close(categoryEntropy([1, 1, 2], true), 1.5 / Math.log2(3)), "normalised by log2 3");
  t.equal(categoryEntropy([0, 7, 0]), 0);
  t.equal(jensenShannon([1, 0], [0, 1]), 1, "disjoint: 1 bit");
  t.equal(jensenShannon([2, 2], [1, 1]), 0, "same distribution, different scale");
  t.ok(close(jensenShannon([0.5, 0.5], [1, 0]), 0.31128), "½·(½log2(⅔)+½log2 2) + ½·log2(4/3) = 0.31128");
  t.ok(close(filterBubbleIndex([0.5, 0.5], [10, 0]), 0.31128), "a feed showing only half of a two-category taste");
  t.ok(close(intraListDiversity([[1, 0], [0, 1], [1, 1]]), (1 + 2 * (1 - Math.SQRT1_2)) / 3), "(1 + 2(1 − 1/√2)) / 3");
});

const cold: ColdStartConfig = { weights: { watchTime: 0.4, completion: 0.4, skip: 0.2 }, earlyRetireBelow: 0.3, earlyRetireFraction: 0.5 };
const ladder: ViralLadder = { stageBudgets: [300, 3000, 30000], promoteAt: [0.8] };
const base = { watchTime: 10, completion: 0.3, skipRate: 0.4 };

t.test("cold start - the seed score and the viral ladder decision", async (t) => {
  t.ok(close(coldStartScore(base, base, cold.weights), 0.6), "a video matching its baselines scores 0.4 + 0.4 − 0.2");
  const strong = { watchTime: 20, completion: 0.45, skipRate: 0.2 };
  t.ok(close(coldStartScore(strong, base, cold.weights), 0.8 + 0.6 - 0.1), "2×wt, 1.5×completion, ½ skips → 1.3");
  t.same(viralDecision(0, 300, strong, base, ladder, cold), { action: "promote", stage: 0, nextStage: 1, pool: 3000, score: coldStartScore(strong, base, cold.weights) });
  t.equal(viralDecision(0, 300, base, base, ladder, cold).action, "retire", "average is not enough to promote");
  t.equal(viralDecision(0, 100, base, base, ladder, cold).action, "continue", "stage not finished");
  const weak = { watchTime: 2, completion: 0.03, skipRate: 0.9 };
  t.equal(viralDecision(1, 1600, weak, base, ladder, cold).action, "retire", "clearly weak after half the pool retires early");
  t.equal(viralDecision(2, 30000, strong, base, ladder, cold).action, "graduate");
  t.equal(coldStartScore(strong, { watchTime: 0, completion: 0, skipRate: 0 }, cold.weights) > 0, true, "zero baselines are guarded");
});

t.test("jensenShannon - denormal probabilities give a finite divergence", (t) => {
  const p = [5e-324, 0.5, 0.5 - 5e-324];
  const q = [0, 1, 1];
  const v = jensenShannon(p, q);
  t.ok(Number.isFinite(v) && v >= 0 && v <= 1, `finite: ${v}`);
  t.end();
});

t.test("uniformGiniFloor - the Gini uniform random exposure leaves, against sampled allocations; excessGini removes it", async (t) => {
  const n = 4000;
  const rng = createRng(11);
  for (const perItem of [0.3, 1, 3, 20, 800]) {
    const counts = new Float64Array(n);
    for (let i = 0; i < perItem * n; i++) counts[rng.int(n)]! += 1;
    const sampled = sparseGini([...counts].filter((c) => c > 0), n);
    const floor = uniformGiniFloor(perItem * n, n);
    t.ok(Math.abs(sampled - floor) < 0.01 + 0.02 * floor, `${perItem}/item: floor ${floor.toFixed(4)} vs sampled ${sampled.toFixed(4)}`);
    t.ok(excessGini(sampled, perItem * n, n) < 0.03, `a uniform allocation has ~no excess at ${perItem}/item`);
  }
  // Poisson(1): sum_k F(k)(1-F(k)) by hand from the CDF 0.3679, 0.7358, 0.9197, 0.9810, 0.9963, 0.9994, 0.9999 = 0.5238
  t.ok(Math.abs(uniformGiniFloor(1000, 1000) - 0.5238) < 0.0005, `Poisson(1) floor ${uniformGiniFloor(1000, 1000)}`);
  t.ok(uniformGiniFloor(10, 1000) > uniformGiniFloor(1000, 1000) && uniformGiniFloor(1000, 1000) > uniformGiniFloor(100_000, 1000), "less volume, higher floor");
  t.equal(uniformGiniFloor(0, 10), 1, "no impressions: the floor is total concentration");
  t.equal(excessGini(0.9, 0, 10), 0, "and nothing beyond it");
  // everything on one item of 1,000 with 1,000 impressions: raw ~1, excess ~1
  const one = sparseGini([1000], 1000);
  t.ok(excessGini(one, 1000, 1000) > 0.99, "all on one item is all excess");
  t.ok(Math.abs(excessGini(0.76, 1300, 1000) - (0.76 - uniformGiniFloor(1300, 1000)) / (1 - uniformGiniFloor(1300, 1000))) < 1e-12, "the definition");
});

t.test("uniformCoverage - the coverage uniform random exposure reaches, against sampled allocations", async (t) => {
  const n = 5000;
  const rng = createRng(5);
  for (const perItem of [0.05, 0.5, 2]) {
    const hit = new Uint8Array(n);
    for (let i = 0; i < perItem * n; i++) hit[rng.int(n)] = 1;
    const sampled = hit.reduce((a, b) => a + b, 0) / n;
    t.ok(Math.abs(sampled - uniformCoverage(perItem * n, n)) < 0.01, `${perItem}/item: ${uniformCoverage(perItem * n, n).toFixed(4)} vs sampled ${sampled.toFixed(4)}`);
  }
  t.equal(uniformCoverage(0, n), 0);
  t.equal(uniformCoverage(10, 0), 0);
});
