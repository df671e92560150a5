import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";

export interface CoEngagementOptions {
  /** Items within this many positions of each other in one user's sequence count as co-engaged. */
  window: number;
  /** Neighbours kept per item (the most co-engaged), bounding memory. */
  maxNeighbors: number;
  /**
   * Pair counts kept per item (default max(64, 4 * maxNeighbors)). When an item's table is full and a new
   * partner arrives, the table is cut to its best half by the neighbour score (see `prune`).
   */
  maxPairs?: number;
  /**
   * Clock time (the `nowMs` passed to `neighbors`, as CollaborativeSource does) a rebuilt neighbour list
   * is served for even if new engagements touched the item since: at most one rebuild per item per
   * interval (default 1000 ms, like the trending refresh). Reads without `nowMs`, and the first read after
   * an `addSequence`, always see an up-to-date list.
   */
  refreshMs?: number;
}

/** One item's pair counts (partner -> count, small integers so V8 keeps them unboxed) and its cached top list. */
interface Row {
  pairs: Map<number, number>;
  list: [number, number][] | undefined;
  dirty: boolean;
  builtAt: number;
  epoch: number;
}

const EMPTY: readonly [number, number][] = Object.freeze([]) as readonly [number, number][];

/**
 * Item-item co-engagement from interaction sequences, scored like cosine over users:
 * c(i, j) / sqrt(n(i) n(j)), so blockbusters do not co-occur with everything.
 *
 * Bounded and incremental: each item keeps at most `maxPairs` partner counts; an engagement only marks the
 * touched items' neighbour lists dirty, and a dirty list is rebuilt on its next read (at most once per
 * `refreshMs` of clock time when the reader passes `nowMs`) by a top-k selection over at most `maxPairs`
 * entries instead of a full sort of an unbounded pair map.
 */
export class CoEngagementIndex {
  private readonly rows = new Map<number, Row>();
  private readonly itemCount = new Map<number, number>();
  private readonly maxPairs: number;
  private readonly refreshMs: number;
  /** Bumped by addSequence: a batch load refreshes every list (popularities n(j) moved everywhere). */
  private epoch = 0;
  private scratchIds = new Float64Array(64);
  private scratchScores = new Float64Array(64);

  constructor(private readonly opts: CoEngagementOptions) {
    this.maxPairs = Math.max(2 * opts.maxNeighbors, opts.maxPairs ?? Math.max(64, 4 * opts.maxNeighbors));
    this.refreshMs = opts.refreshMs ?? 1000;
  }

  /** One user's positively engaged items in time order. */
  addSequence(items: readonly number[]): void {
    this.epoch++;
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
   * addSequence for live sessions. Only the touched items' neighbour lists are marked dirty.
   */
  addEngagement(item: number, previous: readonly number[]): void {
    this.itemCount.set(item, (this.itemCount.get(item) ?? 0) + 1);
    const row = this.rows.get(item);
    if (row !== undefined) row.dirty = true;
    const n = Math.min(previous.length, this.opts.window);
    for (let i = 0; i < n; i++) {
      const p = previous[i]!;
      if (p === item) continue;
      this.bump(item, p);
      this.bump(p, item);
    }
  }

  /** Partners with a stored pair count for `item` (at most `maxPairs`). */
  pairCount(item: number): number {
    return this.rows.get(item)?.pairs.size ?? 0;
  }

  /**
   * The item's most co-engaged neighbours with normalised scores, best first (ties by id). With `nowMs`,
   * a list rebuilt less than `refreshMs` ago is served as is.
   */
  neighbors(item: number, nowMs?: number): readonly [number, number][] {
    const row = this.rows.get(item);
    if (row === undefined) return EMPTY;
    if (row.list !== undefined && row.epoch === this.epoch) {
      if (!row.dirty) return row.list;
      if (nowMs !== undefined && nowMs - row.builtAt < this.refreshMs) return row.list;
    }
    const ni = this.itemCount.get(item) ?? 0;
    const n = this.fillScratch(row.pairs, ni);
    const order = selectTop(this.scratchIds, this.scratchScores, n, this.opts.maxNeighbors);
    const list: [number, number][] = new Array(order.length);
    for (let r = 0; r < order.length; r++) list[r] = [this.scratchIds[order[r]!]!, this.scratchScores[order[r]!]!];
    row.list = list;
    row.dirty = false;
    row.builtAt = nowMs ?? -Infinity; // a clock-less build does not start an interval
    row.epoch = this.epoch;
    return list;
  }

  private bump(a: number, b: number): void {
    let row = this.rows.get(a);
    if (row === undefined) this.rows.set(a, (row = { pairs: new Map(), list: undefined, dirty: true, builtAt: 0, epoch: this.epoch }));
    row.dirty = true;
    const c = row.pairs.get(b);
    if (c !== undefined) {
      row.pairs.set(b, c + 1);
      return;
    }
    if (row.pairs.size >= this.maxPairs) this.prune(a, row);
    row.pairs.set(b, 1);
  }

  /**
   * Eviction rule: a full table keeps `maxPairs / 2` partners and forgets the rest, counts included:
   * first the current neighbour list (the best `maxNeighbors` by c(a, j) / sqrt(n(j)), ties by lower id,
   * exactly as `neighbors` ranks them), then the highest raw counts c(a, j) (ties by lower id). The list at
   * that moment is kept intact, and a steadily co-engaged partner is not pushed out by a stream of
   * one-off partners whose score looks high only while they are new. An evicted partner that co-occurs
   * again restarts from 1, so a kept count never exceeds the exact one. Halving makes the cost
   * O(log maxPairs) amortised per new partner.
   */
  private prune(a: number, row: Row): void {
    const n = this.fillScratch(row.pairs, this.itemCount.get(a) ?? 0);
    const ids = this.scratchIds;
    const key = this.scratchScores;
    const list = selectTop(ids, key, n, this.opts.maxNeighbors);
    for (let i = 0; i < n; i++) key[i] = row.pairs.get(ids[i]!)!;
    for (const i of list) key[i] = Infinity;
    const kept = new Map<number, number>();
    for (const i of selectTop(ids, key, n, this.maxPairs >> 1)) {
      const j = ids[i]!;
      kept.set(j, row.pairs.get(j)!);
    }
    row.pairs = kept;
  }

  /** Partner ids and c / sqrt(ni nj) scores into the scratch arrays; returns how many. */
  private fillScratch(pairs: Map<number, number>, ni: number): number {
    if (this.scratchIds.length < pairs.size) {
      this.scratchIds = new Float64Array(pairs.size * 2);
      this.scratchScores = new Float64Array(pairs.size * 2);
    }
    const ids = this.scratchIds;
    const scores = this.scratchScores;
    let k = 0;
    for (const [j, c] of pairs) {
      ids[k] = j;
      scores[k] = c / Math.sqrt(ni * (this.itemCount.get(j) ?? 1));
      k++;
    }
    return k;
  }
}

/** a ranks below b: lower score, or equal score and higher id. */
function worse(ids: Float64Array, scores: Float64Array, a: number, b: number): boolean {
  const sa = scores[a]!;
  const sb = scores[b]!;
  return sa < sb || (sa === sb && ids[a]! > ids[b]!);
}

/**
 * Positions of the best `k` of the first `n` entries (score descending, ties by lower id), best first: the
 * same result as sorting all n and slicing, via a size-k min-heap (O(n log k)).
 */
export function selectTop(ids: Float64Array, scores: Float64Array, n: number, k: number): number[] {
  k = Math.min(k, n);
  if (k <= 0) return [];
  const heap: number[] = [];
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) return;
      const r = l + 1;
      const m = r < heap.length && worse(ids, scores, heap[r]!, heap[l]!) ? r : l;
      if (!worse(ids, scores, heap[m]!, heap[i]!)) return;
      const t = heap[i]!;
      heap[i] = heap[m]!;
      heap[m] = t;
      i = m;
    }
  };
  for (let x = 0; x < n; x++) {
    if (heap.length < k) {
      heap.push(x);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(ids, scores, heap[i]!, heap[p]!)) break;
        const t = heap[i]!;
        heap[i] = heap[p]!;
        heap[p] = t;
        i = p;
      }
    } else if (worse(ids, scores, heap[0]!, x)) {
      heap[0] = x;
      down(0);
    }
  }
  const out: number[] = new Array(heap.length);
  for (let r = heap.length - 1; r >= 0; r--) {
    out[r] = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      down(0);
    }
  }
  return out;
}

/** Collaborative retrieval: neighbours of the user's recent items, recent seeds weighted higher. */
export class CollaborativeSource implements CandidateSource {
  readonly name = "collaborative" as const;
  private ids = new Float64Array(256);
  private scores = new Float64Array(256);

  constructor(private readonly index: CoEngagementIndex, private readonly seeds = 20, private readonly recencyDecay = 0.9) {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const acc = new Map<number, number>();
    const seeds = Math.min(this.seeds, req.recent.length);
    for (let rank = 0; rank < seeds; rank++) {
      const w = this.recencyDecay ** rank;
      for (const [j, s] of this.index.neighbors(req.recent[rank]!, req.nowMs)) {
        if (req.seen(j)) continue;
        acc.set(j, (acc.get(j) ?? 0) + w * s);
      }
    }
    if (this.ids.length < acc.size) {
      this.ids = new Float64Array(acc.size * 2);
      this.scores = new Float64Array(acc.size * 2);
    }
    let n = 0;
    for (const [j, s] of acc) {
      this.ids[n] = j;
      this.scores[n] = s;
      n++;
    }
    return selectTop(this.ids, this.scores, n, limit).map((i) => ({ id: this.ids[i]!, score: this.scores[i]!, source: this.name }));
  }
}
