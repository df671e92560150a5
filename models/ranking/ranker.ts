import { ModelError } from "../../protocols/index.ts";
import type { ModelService } from "../inference/model-service.ts";
import { fatigueOf, type SessionState } from "./fatigue.ts";
import { writeFeatures, type ContextView, type FeatureLayout, type ItemView, type UserView } from "./features.ts";
import { HEADS, NUM_HEADS, seedScore, type RankingWeights } from "./heads.ts";

export interface RankedItem {
  id: number;
  score: number;
  /** The heads' predictions for this item, in `HEADS` order. */
  heads: number[];
  fatigue: number;
}

/**
 * Scores candidates for one request: one feature row per candidate, one ModelService call (batched with
 * whatever other sessions ask in the same tick), then the seed formula with the configured weights and the
 * session's fatigue. Returns the candidates best first and the model version that scored them.
 */
export class Ranker {
  private buf = new Float32Array(0);

  constructor(private readonly service: ModelService, readonly layout: FeatureLayout, private readonly weights: RankingWeights) {}

  get version(): string | undefined {
    return this.service.version;
  }

  async rank(user: UserView, items: readonly ItemView[], ctx: Omit<ContextView, "fatigue" | "repeatShare">, session: SessionState): Promise<{ items: RankedItem[]; version: string }> {
    if (items.length === 0) return { items: [], version: this.service.version ?? "" };
    const w = this.layout.width;
    const n = items.length;
    // a fresh buffer per request: ModelService may still hold the previous one in a queued batch
    const x = new Float32Array(n * w);
    const fatigue = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const it = items[i]!;
      fatigue[i] = fatigueOf(session, it.category);
      writeFeatures(x, i, this.layout, user, it, { ...ctx, fatigue: fatigue[i]!, repeatShare: session.repeatShare(it.category) });
    }
    const { outputs, version } = await this.service.infer({ features: { data: x, dims: [n, w] } });
    const preds = HEADS.map((h) => {
      const t = outputs[h];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new ModelError(this.service.name, "run", `output ${h} missing`);
      return t.data;
    });
    const ranked: RankedItem[] = items.map((it, i) => ({
      id: it.id,
      score: seedScore(preds, i, this.weights, fatigue[i]!),
      heads: Array.from({ length: NUM_HEADS }, (_, h) => preds[h]![i]!),
      fatigue: fatigue[i]!,
    }));
    ranked.sort((a, b) => b.score - a.score || a.id - b.id);
    return { items: ranked, version };
  }

  /** Scores pre-built feature rows (benchmarks, offline scoring): returns the seed scores. */
  async scoreRows(x: Float32Array, rows: number, fatigue: ArrayLike<number>): Promise<Float32Array> {
    const { outputs } = await this.service.infer({ features: { data: x, dims: [rows, this.layout.width] } });
    const preds = HEADS.map((h) => outputs[h]!.data as Float32Array);
    return Float32Array.from({ length: rows }, (_, i) => seedScore(preds, i, this.weights, fatigue[i]!));
  }
}
