/** The `policy` config slice plus `feed.integrityDemotion`. */
export interface PolicyConfig {
  /** Longest run of consecutive items of one category. */
  maxCategoryRun: number;
  /** Adjacent items more cosine-similar than this are not placed next to each other (relaxed if nothing else fits). */
  adjacentSimilarityMax: number;
  /** Most items by one author in one feed. */
  authorCap: number;
  /** Over-personalization guard: most share of one feed that one category may take (0..1]. */
  categoryShareCap: number;
  /** Score multiplier for flagged videos and authors, in [0, 1] (the lead's `feed.integrityDemotion`). */
  integrityDemotion: number;
}

/** One scored candidate, as the ranker and the exploration step leave it. */
export interface PolicyItem {
  id: number;
  score: number;
  category: number;
  author: number;
  /** Content vector for the adjacency check; items without one are never "too similar". */
  vector?: ArrayLike<number>;
  /** Why it is in the feed (passed through untouched). */
  reason: string;
}

export interface PolicyContext {
  seen?: { has(id: number): boolean };
  flaggedVideos?: { has(id: number): boolean };
  flaggedAuthors?: { has(id: number): boolean };
  /** Category/vector of the last item already shown, so runs and adjacency hold across feed pages. */
  previous?: { category: number; run: number; vector?: ArrayLike<number> };
}

/**
 * Re-ranks scored candidates into a feed of up to k under the diversity, loop-prevention and integrity
 * rules. Greedy: each slot takes the best remaining candidate that keeps every hard rule (seen window,
 * category run, author cap, category share); the adjacency rule is soft and is dropped for a slot only if
 * no candidate satisfies it. If the hard rules cannot be met the feed is shorter than k, never in breach.
 *
 * One instance per node (or per actor) keeps scratch buffers, so a call allocates only its result array.
 */
export class FeedPolicy {
  private order = new Int32Array(0);
  private heap = new Int32Array(0);
  private heapLen = 0;
  private sortedLen = 0;
  private adjusted = new Float64Array(0);
  private used = new Uint8Array(0);
  /**
   * Per pass; new Maps each pass rather than `clear()`: V8 allocates a long-lived Map's new table (on clear
   * and on growth) in the old generation, and at three passes per feed that was ~40% of what a serving node
   * promoted (sampling heap profiler), the cause of most of its major GCs. A young Map dies young.
   */
  private authorCounts = new Map<number, number>();
  private categoryCounts = new Map<number, number>();

  constructor(public config: PolicyConfig) {}

  /** Score after integrity demotion: flagged items keep their place among themselves but sink below peers. */
  demoted(item: PolicyItem, ctx: PolicyContext): number {
    const flagged = ctx.flaggedVideos?.has(item.id) === true || ctx.flaggedAuthors?.has(item.author) === true;
    if (!flagged) return item.score;
    const f = this.config.integrityDemotion;
    // multiplying a negative score by f < 1 would raise it; divide instead so demotion always lowers
    return item.score >= 0 ? item.score * f : f > 0 ? item.score / f : -Infinity;
  }

  rerank(items: readonly PolicyItem[], k: number, ctx: PolicyContext = {}): PolicyItem[] {
    const n = items.length;
    this.ensure(n);
    const { adjusted, used, heap } = this;
    for (let i = 0; i < n; i++) {
      const a = this.demoted(items[i]!, ctx);
      adjusted[i] = Number.isNaN(a) ? -Infinity : a;
      used[i] = 0;
      heap[i] = i;
    }
    // Only the top of the order is ever looked at (k picks plus rejects), so the order is produced lazily
    // from a heap: O(n + m log n) for the m positions reached, instead of a full comparator sort (which
    // was most of the cost at 500 candidates).
    this.heapLen = n;
    this.sortedLen = 0;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
    return this.greedy(items, k, ctx);
  }

  /**
   * `rerank` for a list that is already in priority order (strictly best first, no integrity flags to apply):
   * the same greedy rules over the list as given (an identity order, no heap), so a caller that built the
   * order itself pays nothing for ordering. The scores are not read.
   */
  rerankOrdered(items: readonly PolicyItem[], k: number, ctx: Pick<PolicyContext, "seen" | "previous"> = {}): PolicyItem[] {
    const n = items.length;
    this.ensure(n);
    const { order, used } = this;
    for (let i = 0; i < n; i++) {
      order[i] = i;
      used[i] = 0;
    }
    this.heapLen = 0;
    this.sortedLen = n;
    return this.greedy(items, k, ctx);
  }

  /**
   * The greedy pass shared by both entry points: walks `order` (extended lazily from the heap while it is
   * shorter than the position reached), each slot taking the first candidate that keeps every hard rule.
   */
  private greedy(items: readonly PolicyItem[], k: number, ctx: Pick<PolicyContext, "seen" | "previous">): PolicyItem[] {
    const n = items.length;
    const view = this.order;
    const used = this.used;
    const cfg = this.config;
    const shareMax = Math.max(1, Math.floor(cfg.categoryShareCap * k));
    this.authorCounts = new Map<number, number>();
    this.categoryCounts = new Map<number, number>();
    const out: PolicyItem[] = [];
    let prevCat = ctx.previous?.category ?? Number.NaN;
    let run = ctx.previous?.run ?? 0;
    let prevVec = ctx.previous?.vector;
    let start = 0;
    while (out.length < k) {
      let pick = -1;
      let fallback = -1;
      for (let p = start; p < n; p++) {
        if (p >= this.sortedLen) this.popInto();
        const i = view[p]!;
        if (used[i]) continue;
        const it = items[i]!;
        // the same id twice in the candidate list must not give a repeat either
        if (ctx.seen?.has(it.id) || includesId(out, it.id)) {
          used[i] = 1;
          continue;
        }
        if (it.category === prevCat && run >= cfg.maxCategoryRun) continue;
        if ((this.authorCounts.get(it.author) ?? 0) >= cfg.authorCap) continue;
        if ((this.categoryCounts.get(it.category) ?? 0) >= shareMax) continue;
        if (prevVec && it.vector && cosine(prevVec, it.vector) > cfg.adjacentSimilarityMax) {
          if (fallback < 0) fallback = i;
          continue;
        }
        pick = i;
        break;
      }
      if (pick < 0) pick = fallback;
      if (pick < 0) break;
      used[pick] = 1;
      // skip the already-consumed prefix next time
      while (start < this.sortedLen && used[view[start]!]) start++;
      const it = items[pick]!;
      out.push(it);
      run = it.category === prevCat ? run + 1 : 1;
      prevCat = it.category;
      prevVec = it.vector;
      this.authorCounts.set(it.author, (this.authorCounts.get(it.author) ?? 0) + 1);
      this.categoryCounts.set(it.category, (this.categoryCounts.get(it.category) ?? 0) + 1);
    }
    return out;
  }

  /** Moves the best remaining heap entry to the end of the sorted prefix. */
  private popInto(): void {
    if (this.heapLen === 0) return;
    const h = this.heap;
    this.order[this.sortedLen++] = h[0]!;
    h[0] = h[--this.heapLen]!;
    this.siftDown(0);
  }

  private siftDown(i: number): void {
    const h = this.heap, len = this.heapLen;
    // No closure here: under tsx every nested named function is wrapped in __name() per call, which cost
    // more than the heap itself on the serving path.
    for (;;) {
      const l = 2 * i + 1;
      if (l >= len) return;
      const r = l + 1;
      const c = r < len && this.better(h[r]!, h[l]!) ? r : l;
      if (!this.better(h[c]!, h[i]!)) return;
      const t = h[i]!;
      h[i] = h[c]!;
      h[c] = t;
      i = c;
    }
  }

  /** Ties break towards the lower input index, so equal scores keep the caller's order. */
  private better(a: number, b: number): boolean {
    const adj = this.adjusted;
    return adj[a]! > adj[b]! || (adj[a] === adj[b] && a < b);
  }

  private ensure(n: number): void {
    if (this.order.length >= n) return;
    const cap = Math.max(n, this.order.length * 2, 64);
    this.order = new Int32Array(cap);
    this.heap = new Int32Array(cap);
    this.adjusted = new Float64Array(cap);
    this.used = new Uint8Array(cap);
  }
}

function includesId(items: readonly PolicyItem[], id: number): boolean {
  for (let i = 0; i < items.length; i++) if (items[i]!.id === id) return true;
  return false;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  const d = Math.min(a.length, b.length);
  for (let i = 0; i < d; i++) {
    const x = a[i]!, y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
