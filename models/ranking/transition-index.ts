/**
 * Sequential item-to-item transitions: which items followed an item in users' sequences, weighted by how
 * soon (`decay` per step, up to `window` steps ahead), with a smaller weight for items that came just
 * before it (`backward`). A next-item candidate source: from a user's most recent items (recency-weighted),
 * the items that tend to come next. Co-engagement (models/retrieval) is symmetric and unweighted by
 * distance; next-item prediction needs the direction.
 */
export interface TransitionOptions {
  window: number;
  decay: number;
  backward: number;
  /** Neighbours kept per item (the strongest). */
  maxNeighbors: number;
}

export interface TransitionQuery {
  /** The user's items, most recent first. */
  recent: readonly number[];
  /** How many recent items seed the query, and the weight ratio from one to the next older. */
  seeds: number;
  recency: number;
  /** Scores are count / outWeight^alpha: 0 ranks by raw counts (popular follow-ups), 1 by conditional probability. */
  alpha: number;
  exclude: (id: number) => boolean;
}

export class TransitionIndex {
  private building: Map<number, Map<number, number>> | undefined = new Map();
  private readonly out = new Map<number, number>();
  private ids = new Map<number, Int32Array>();
  private weights = new Map<number, Float32Array>();

  constructor(private readonly o: TransitionOptions) {}

  addSequence(seq: readonly number[]): void {
    const b = this.building;
    if (b === undefined) throw new Error("TransitionIndex: addSequence after freeze");
    for (let i = 0; i < seq.length; i++) {
      let w = 1;
      for (let d = 1; d <= this.o.window && i + d < seq.length; d++) {
        this.add(b, seq[i]!, seq[i + d]!, w);
        if (this.o.backward > 0) this.add(b, seq[i + d]!, seq[i]!, w * this.o.backward);
        w *= this.o.decay;
      }
    }
  }

  /** Keeps the strongest `maxNeighbors` per item as packed arrays; no more sequences after this. */
  freeze(): void {
    const b = this.building;
    if (b === undefined) return;
    for (const [a, m] of b) {
      const top = [...m].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, this.o.maxNeighbors);
      this.ids.set(a, Int32Array.from(top, (e) => e[0]));
      this.weights.set(a, Float32Array.from(top, (e) => e[1]));
    }
    this.building = undefined;
  }

  /** Candidate scores from the user's recent items, best first, at most `k`. */
  query(q: TransitionQuery, k: number): { id: number; score: number }[] {
    if (this.building !== undefined) this.freeze();
    const scores = new Map<number, number>();
    let wr = 1;
    for (let r = 0; r < Math.min(q.seeds, q.recent.length); r++) {
      const a = q.recent[r]!;
      const ids = this.ids.get(a);
      if (ids !== undefined) {
        const ws = this.weights.get(a)!;
        const norm = q.alpha === 0 ? 1 : Math.pow(this.out.get(a) ?? 1, q.alpha);
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          if (q.exclude(id)) continue;
          scores.set(id, (scores.get(id) ?? 0) + (wr * ws[i]!) / norm);
        }
      }
      wr *= q.recency;
    }
    return [...scores].map(([id, score]) => ({ id, score })).sort((x, y) => y.score - x.score || x.id - y.id).slice(0, k);
  }

  private add(b: Map<number, Map<number, number>>, from: number, to: number, w: number): void {
    if (from === to) return;
    let m = b.get(from);
    if (m === undefined) b.set(from, (m = new Map()));
    m.set(to, (m.get(to) ?? 0) + w);
    this.out.set(from, (this.out.get(from) ?? 0) + w);
  }
}
