import type { Rng } from "../random/rng.ts";
import { LinUcb } from "./linucb.ts";

/**
 * The epsilon-greedy baseline: the same ridge-regression estimate as LinUCB but no confidence bonus; with
 * probability epsilon a uniformly random row is chosen instead of the greedy one. Sharing the estimator
 * makes the regret comparison about the exploration rule only.
 */
export class EpsilonGreedy {
  private readonly model: LinUcb;

  constructor(dim: number, public epsilon: number, private readonly rng: Rng, lambda = 1, arms = 1) {
    this.model = new LinUcb(dim, { alpha: 0, lambda }, arms);
  }

  /** Index of the chosen row among `count` rows of `xs` (count × dim). */
  select(xs: ArrayLike<number>, count: number, arm = 0): number {
    if (this.rng.next() < this.epsilon) return this.rng.int(count);
    return this.model.select(xs, count, arm);
  }

  mean(x: ArrayLike<number>, arm = 0, offset = 0): number {
    return this.model.mean(x, arm, offset);
  }

  update(x: ArrayLike<number>, reward: number, arm = 0, offset = 0): void {
    this.model.update(x, reward, arm, offset);
  }
}
