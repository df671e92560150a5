import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";
import { topCandidates } from "./content-source.ts";

export interface CoEngagementOptions {
  /** Items within this many positions of each other in one user's sequence count as co-engaged. */
  window: number;
  /** Neighbours kept per item (the most co-engaged), bounding memory. */
  maxNeighbors: number;
}

/**
 * Item-item co-engagement from interaction sequences, scored like cosine over users:
 * c(i, j) / sqrt(n(i) n(j)), so blockbusters do not co-occur with everything.
 */
export class CoEngagementIndex {
  private readonly counts = new Map<number, Map<number, number>>();
  private readonly itemCount = new Map<number, number>();
  private pruned: Map<number, [number, number][]> | undefined;

  constructor(private readonly opts: CoEngagementOptions) {}

  /** One user's positively engaged items in time order. */
  addSequence(items: readonly number[]): void {
    this.pruned = undefined;
    for (let i = 0; i < items.length; i++) {
      const a = items[i]!;
      this.itemCount.set(a, (this.itemCount.get(a) ?? 0) + 1);
      for (let j = i + 1; j < Math.min(items.length, i + 1 + this.opts.window); j++) {
        const b = items[j]!;
        if (a === b) continue;
        this.bump(a, b);
        this.bump(b, a);
      }
    }
  }

  /**
   * One new engagement of `item` after `previous` (most recent first): the incremental form of
   * addSequence for live sessions. Only the touched items' cached neighbour lists are dropped.
   */
  addEngagement(item: number, previous: readonly number[]): void {
    this.itemCount.set(item, (this.itemCount.get(item) ?? 0) + 1);
    this.pruned?.delete(item);
    const n = Math.min(previous.length, this.opts.window);
    for (let i = 0; i < n; i++) {
      const p = previous[i]!;
      if (p === item) continue;
      this.bump(item, p);
      this.bump(p, item);
      this.pruned?.delete(p);
    }
  }

  /** The item's most co-engaged neighbours with normalised scores, best first. */
  neighbors(item: number): readonly [number, number][] {
    this.pruned ??= new Map();
    let list = this.pruned.get(item);
    if (list === undefined) {
      const ni = this.itemCount.get(item) ?? 0;
      list = [...(this.counts.get(item) ?? [])]
        .map(([j, c]): [number, number] => [j, c / Math.sqrt(ni * (this.itemCount.get(j) ?? 1))])
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, this.opts.maxNeighbors);
      this.pruned.set(item, list);
    }
    return list;
  }

  private bump(a: number, b: number): void {
    let m = this.counts.get(a);
    if (m === undefined) this.counts.set(a, (m = new Map()));
    m.set(b, (m.get(b) ?? 0) + 1);
  }
}

/** Collaborative retrieval: neighbours of the user's recent items, recent seeds weighted higher. */
export class CollaborativeSource implements CandidateSource {
  readonly name = "collaborative" as const;
  constructor(private readonly index: CoEngagementIndex, private readonly seeds = 20, private readonly recencyDecay = 0.9) {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const scores = new Map<number, number>();
    req.recent.slice(0, this.seeds).forEach((seed, rank) => {
      const w = this.recencyDecay ** rank;
      for (const [j, s] of this.index.neighbors(seed)) {
        if (req.seen(j)) continue;
        scores.set(j, (scores.get(j) ?? 0) + w * s);
      }
    });
    return topCandidates(scores, limit, this.name);
  }
}
