import t from "tap";
import { createRng, EpsilonGreedy, LinUcb } from "../../../models/index.ts";

/** A seeded linear contextual bandit: K fresh contexts per round, reward = xᵀθ* + noise. */
function runBandit(seed: number, choose: (xs: Float64Array, k: number) => number, learn: (x: Float64Array, r: number) => void): number {
  const d = 8, k = 10, rounds = 1500;
  const rng = createRng(seed);
  const theta = Float64Array.from({ length: d }, () => rng.normal());
  const norm = Math.hypot(...theta);
  for (let i = 0; i < d; i++) theta[i] = theta[i]! / norm;
  const xs = new Float64Array(k * d);
  const means = new Float64Array(k);
  let regret = 0;
  for (let round = 0; round < rounds; round++) {
    let best = -Infinity;
    for (let a = 0; a < k; a++) {
      let m = 0;
      for (let i = 0; i < d; i++) {
        const v = rng.normal() / Math.sqrt(d);
        xs[a * d + i] = v;
        m += v * theta[i]!;
      }
      means[a] = m;
      if (m > best) best = m;
    }
    const pick = choose(xs, k);
    regret += best - means[pick]!;
    learn(xs.slice(pick * d, pick * d + d), means[pick]! + 0.3 * rng.normal());
  }
  return regret;
}

t.test("linucb - cumulative regret on a seeded contextual bandit is below epsilon-greedy's", async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const ucb = new LinUcb(8, { alpha: 0.5, lambda: 1 });
    const rUcb = runBandit(seed, (xs, k) => ucb.select(xs, k), (x, r) => ucb.update(x, r));
    // two epsilons, so the baseline is not a straw man tuned to lose
    for (const eps of [0.05, 0.1]) {
      const eg = new EpsilonGreedy(8, eps, createRng(seed + 100));
      const rEg = runBandit(seed, (xs, k) => eg.select(xs, k), (x, r) => eg.update(x, r));
      t.ok(rUcb < rEg, `seed ${seed}: linucb regret ${rUcb.toFixed(1)} < epsilon-greedy(${eps}) ${rEg.toFixed(1)}`);
    }
  }
});

t.test("linucb - Sherman–Morrison A⁻¹ matches a direct inverse and θ the ridge solution", async (t) => {
  const d = 4;
  const rng = createRng(7);
  const m = new LinUcb(d, { alpha: 1, lambda: 2 });
  const A: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 2 : 0)));
  const b = new Array<number>(d).fill(0);
  for (let n = 0; n < 50; n++) {
    const x = Array.from({ length: d }, () => rng.normal());
    const r = rng.normal();
    m.update(x, r);
    for (let i = 0; i < d; i++) {
      b[i] = b[i]! + r * x[i]!;
      for (let j = 0; j < d; j++) A[i]![j] = A[i]![j]! + x[i]! * x[j]!;
    }
  }
  // solve Aθ = b by Gaussian elimination
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < d; c++) {
    for (let r = c + 1; r < d; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= d; k++) M[r]![k] = M[r]![k]! - f * M[c]![k]!;
    }
  }
  const theta = new Array<number>(d).fill(0);
  for (let r = d - 1; r >= 0; r--) {
    let s = M[r]![d]!;
    for (let k = r + 1; k < d; k++) s -= M[r]![k]! * theta[k]!;
    theta[r] = s / M[r]![r]!;
  }
  const w = m.weights();
  for (let i = 0; i < d; i++) t.ok(Math.abs(w[i]! - theta[i]!) < 1e-9, `θ[${i}] ${w[i]} ≈ ${theta[i]}`);
  // width² = xᵀA⁻¹x: check via A·(A⁻¹x) = x using the identity on a unit vector
  const e0 = [1, 0, 0, 0];
  t.ok(m.width(e0) > 0 && m.width(e0) < 1 / Math.sqrt(2), "uncertainty shrinks below the prior's");
  t.equal(m.count(), 50);
});

t.test("linucb - state round-trips through plain arrays (passivation)", async (t) => {
  const rng = createRng(3);
  const m = new LinUcb(3, { alpha: 0.7, lambda: 1 }, 2);
  for (let n = 0; n < 20; n++) m.update([rng.normal(), rng.normal(), rng.normal()], rng.next(), n % 2);
  const state = JSON.parse(JSON.stringify(m.toState())) as ReturnType<LinUcb["toState"]>;
  const back = LinUcb.fromState(state);
  const x = [0.3, -0.2, 0.9];
  for (const arm of [0, 1]) t.equal(back.score(x, arm), m.score(x, arm), `arm ${arm} scores the same after restore`);
  t.not(m.score(x, 0), m.score(x, 1), "disjoint arms learn separately");
});
