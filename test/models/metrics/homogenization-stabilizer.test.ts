import t from "tap";
import { createRng, HomogenizationStabilizer, type StabilizerConfig } from "../../../models/index.ts";

const cfg: StabilizerConfig = {
  enabled: true, giniMax: 0.6, coverageMin: 0.2, entropyMin: 0.5, hysteresis: 0.05, noveltyMin: 0.05, noveltyMax: 0.4, step: 0.02, calmSteps: 3,
  categoryShareCapLoose: 0.5, categoryShareCapTight: 0.25, maxCategoryRunLoose: 4, maxCategoryRunTight: 2,
  exposurePenaltyLoose: 0, exposurePenaltyTight: 0.5,
};
const ok = { coverage: 0.5, entropy: 0.8 };

t.test("stabilizer - raises novelty while Gini exceeds its bound, never past the maximum", async (t) => {
  const s = new HomogenizationStabilizer(cfg, 0.15);
  const first = s.update({ gini: 0.62, ...ok });
  t.equal(first.direction, "raise");
  t.ok(close(first.noveltyRate, 0.17), "just past the bound: one step");
  // one step plus one per whole hysteresis width past the bound, at most five
  t.ok(close(s.update({ gini: 0.72, ...ok }).noveltyRate, 0.23), "2.4 hysteresis widths past: three steps");
  t.ok(close(s.update({ gini: 0.99, ...ok }).noveltyRate, 0.33), "far past: five steps, no more");
  for (let i = 0; i < 100; i++) s.update({ gini: 0.9, ...ok });
  const top = s.settings();
  t.equal(top.noveltyRate, cfg.noveltyMax, "clamped at max");
  t.ok(close(top.categoryShareCap, cfg.categoryShareCapTight) && top.maxCategoryRun === 2, "diversity rules at their tightest");
  t.ok(close(top.exposurePenalty, cfg.exposurePenaltyTight), "exposure penalty at its tightest");
});

t.test("stabilizer - lowers novelty when Gini is well below, after a calm streak, never under the minimum", async (t) => {
  const s = new HomogenizationStabilizer(cfg, 0.15);
  t.equal(s.update({ gini: 0.3, ...ok }).direction, "hold");
  t.equal(s.update({ gini: 0.3, ...ok }).direction, "hold");
  t.equal(s.update({ gini: 0.3, ...ok }).direction, "lower", "third calm step lowers");
  for (let i = 0; i < 300; i++) s.update({ gini: 0.3, ...ok });
  t.equal(s.noveltyRate, cfg.noveltyMin);
  t.equal(s.settings().maxCategoryRun, 4, "loosest run limit");
  t.equal(s.settings().exposurePenalty, 0, "no exposure penalty at the loose end");
});

t.test("stabilizer - holds inside the dead band; coverage or entropy alone also raise", async (t) => {
  const s = new HomogenizationStabilizer(cfg, 0.15);
  const rates = Array.from({ length: 20 }, () => s.update({ gini: 0.58, ...ok }).noveltyRate);
  t.ok(rates.every((r) => r === 0.15), "gini between bound − hysteresis and bound: rate unchanged for 20 steps");
  t.equal(s.update({ gini: 0.3, coverage: 0.1, entropy: 0.8 }).direction, "raise");
  t.equal(s.update({ gini: 0.3, coverage: 0.5, entropy: 0.4 }).direction, "raise");
  t.equal(new HomogenizationStabilizer({ ...cfg, enabled: false }, 0.15).update({ gini: 0.99, ...ok }).noveltyRate, 0.15, "disabled: constant");
});

t.test("stabilizer - in closed loop with a noisy plant it settles inside the bound without oscillating", async (t) => {
  const rng = createRng(51);
  const s = new HomogenizationStabilizer(cfg, 0.05);
  // plant: more novelty spreads exposure; gini responds with noise
  let gini = 0;
  let flips = 0;
  let lastMove: string = "hold";
  for (let step = 0; step < 400; step++) {
    gini = 0.75 - 0.8 * s.noveltyRate + 0.01 * rng.normal();
    const { direction } = s.update({ gini, ...ok });
    if (direction !== "hold") {
      if (lastMove !== "hold" && direction !== lastMove) flips++;
      lastMove = direction;
    }
  }
  t.ok(gini < cfg.giniMax + 0.03, `settled gini ${gini.toFixed(3)} within its bound (noise 0.01)`);
  t.ok(flips <= 2, `direction reversals: ${flips}`);
  t.ok(s.noveltyRate >= cfg.noveltyMin && s.noveltyRate <= cfg.noveltyMax);
  const back = HomogenizationStabilizer.fromState(cfg, JSON.parse(JSON.stringify(s.toState())));
  t.same(back.settings(), s.settings(), "state round-trips");
});

function close(a: number, b: number): boolean {
  return Math.abs(a - b) < 1e-9;
}
