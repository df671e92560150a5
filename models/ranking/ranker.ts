import { ModelError } from "../../protocols/index.ts";
import type { ModelService } from "../inference/model-service.ts";
import { fatigueOf, type SessionState } from "./fatigue.ts";
import { writeFeatureBatch, type ContextView, type FeatureLayout, type ItemView, type UserView } from "./features.ts";
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
  private readonly free: Float32Array[] = [];

  constructor(private readonly service: ModelService, readonly layout: FeatureLayout, private readonly weights: RankingWeights) {}

  get version(): string | undefined {
    return this.service.version;
  }

  async rank(user: UserView, items: readonly ItemView[], ctx: Omit<ContextView, "fatigue" | "repeatShare">, session: SessionState): Promise<{ items: RankedItem[]; version: string }> {
    if (items.length === 0) return { items: [], version: this.service.version ?? "" };
    const w = this.layout.width;
    const n = items.length;
    // a buffer of our own per request in flight (ModelService may still hold another in a queued batch),
    // reused once its request is done: no 250 KB garbage per request on the serving path
    const x = this.takeBuffer(n * w);
    const fatigue = new Float32Array(n);
    const repeat = new Float32Array(n);
    // fatigue depends on the item only through its category: once per category, not per candidate
    const byCategory = new Map<number | undefined, number>();
    for (let i = 0; i < n; i++) {
      const cat = items[i]!.category;
      let k = byCategory.get(cat);
      if (k === undefined) {
        k = i;
        byCategory.set(cat, i);
        fatigue[i] = fatigueOf(session, cat);
        repeat[i] = session.repeatShare(cat);
      } else {
        fatigue[i] = fatigue[k]!;
        repeat[i] = repeat[k]!;
      }
    }
    writeFeatureBatch(x, this.layout, user, items, ctx, fatigue, repeat);
    let res;
    try {
      res = await this.service.infer({ features: { data: x, dims: [n, w] } });
    } finally {
      this.giveBuffer(x);
    }
    const { outputs, version } = res;
    const preds = HEADS.map((h) => {
      const t = outputs[h];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new ModelError(this.service.name, "run", `output ${h} missing`);
      return t.data;
    });
    const ranked: RankedItem[] = new Array(n);
    const [p0, p1, p2, p3, p4, p5] = preds as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    for (let i = 0; i < n; i++) {
      ranked[i] = { id: items[i]!.id, score: seedScore(preds, i, this.weights, fatigue[i]!), heads: [p0[i]!, p1[i]!, p2[i]!, p3[i]!, p4[i]!, p5[i]!], fatigue: fatigue[i]! };
    }
    ranked.sort((a, b) => b.score - a.score || a.id - b.id);
    return { items: ranked, version };
  }

  private takeBuffer(len: number): Float32Array {
    const b = this.free.pop();
    return b !== undefined && b.length >= len ? b.subarray(0, len) : new Float32Array(Math.max(len, b?.length ?? 0));
  }

  private giveBuffer(x: Float32Array): void {
    if (this.free.length < 8) this.free.push(new Float32Array(x.buffer));
  }

  /** Scores pre-built feature rows (benchmarks, offline scoring): returns the seed scores. */
  async scoreRows(x: Float32Array, rows: number, fatigue: ArrayLike<number>): Promise<Float32Array> {
    const { outputs } = await this.service.infer({ features: { data: x, dims: [rows, this.layout.width] } });
    const preds = HEADS.map((h) => outputs[h]!.data as Float32Array);
    return Float32Array.from({ length: rows }, (_, i) => seedScore(preds, i, this.weights, fatigue[i]!));
  }
}
