import { LinUcb, type LinUcbConfig } from "../exploration/linucb.ts";
import type { Bandit, ScoredCandidate } from "./feed-pipeline.ts";

const DIM = 6;

/**
 * LinUCB over explore candidates' context: [1, E[watch ratio], P(complete), P(skip_fast), P(rewatch),
 * cold-start?]. One model per node, shared by its sessions; rewards are the watch ratios of explored items.
 */
export class LinUcbBandit implements Bandit {
  readonly model: LinUcb;

  constructor(config: LinUcbConfig) {
    this.model = new LinUcb(DIM, config);
  }

  features(c: ScoredCandidate): Float64Array {
    const p = c.predictions;
    return Float64Array.of(1, p.watchRatio, p.complete, p.skipFast, p.rewatch, c.source === "coldStart" ? 1 : 0);
  }

  bonus(x: Float64Array): number {
    return this.model.score(x);
  }

  update(x: Float64Array, reward: number): void {
    this.model.update(x, reward);
  }
}
