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

/**
 * One item's pair counts and its cached top list. The counts are `np` partners in flat arrays (`pid`,
 * `pc`), found by `slot` (partner -> position, a hash table in a typed array): a rebuild reads the arrays,
 * not a map's entries. The list is partner ids and scores in two typed arrays (`len` of them; -1 before
 * the first build) holding the best `maxNeighbors` partners in no particular order (a rebuild selects them
 * without sorting), and the `[id, score]` pairs `neighbors` hands out, best first, made from them on the
 * first such read after a build.
 */
interface Row {
  /**
   * Partner -> position + 1 for partner ids that are integers in [0, 2^31), open addressing with linear
   * probing (0 = empty; length a power of two, at least twice `np`): most engagements bring a new partner,
   * and a Map grown entry by entry was most of `bump`. Other partner ids go to `slotOther`.
   */
  slot: Int32Array;
  slotOther: Map<number, number> | undefined;
  pid: Float64Array;
  pc: Int32Array;
  np: number;
  ids: Float64Array;
  scores: Float64Array;
  len: number;
  list: [number, number][] | undefined;
  dirty: boolean;
  builtAt: number;
  epoch: number;
}

const NO_IDS = new Float64Array(0);
/** Item ids below this are counted in a flat array (the catalog's dense video numbers); others in a map. */
const DENSE_IDS = 1 << 24;

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
  /** n(i) per item: a flat array for dense ids (0 = never engaged), a map for the rest. */
  private counts = new Float64Array(1024);
  private readonly countOther = new Map<number, number>();
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
      this.countUp(a);
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
  addEngagement(item: number, previous: readonly number[], from = 0): void {
    this.countUp(item);
    const row = this.rows.get(item);
    if (row !== undefined) row.dirty = true;
    // `previous` from index `from` on (the session passes its recent list past the item itself, uncopied)
    const n = Math.min(previous.length - from, this.opts.window);
    for (let i = 0; i < n; i++) {
      const p = previous[from + i]!;
      if (p === item) continue;
      this.bump(item, p);
      this.bump(p, item);
    }
  }

  /** Partners with a stored pair count for `item` (at most `maxPairs`). */
  pairCount(item: number): number {
    return this.rows.get(item)?.np ?? 0;
  }

  /**
   * The item's most co-engaged neighbours with normalised scores, best first (ties by id). With `nowMs`,
   * a list rebuilt less than `refreshMs` ago is served as is.
   */
  neighbors(item: number, nowMs?: number): readonly [number, number][] {
    const row = this.built(item, nowMs);
    if (row === undefined) return EMPTY;
    let list = row.list;
    if (list === undefined) {
      // the kept set, best first (ids are unique within a row, so the order is total)
      const order = this.order();
      const k = selectTopInto(row.ids, row.scores, row.len, row.len, order);
      list = new Array(k);
      for (let r = 0; r < k; r++) list[r] = [row.ids[order[r]!]!, row.scores[order[r]!]!];
      row.list = list;
    }
    return list;
  }

  /**
   * The item's row with its neighbour list (`ids`/`scores`, `len` entries: the same neighbours and scores
   * as `neighbors`, in no particular order) up to date under the rules of `neighbors`, which reads it;
   * undefined for an item with no pairs. The hot path of CollaborativeSource, which sums per candidate and
   * ranks by a total order, so it needs the set, not its order: no `[id, score]` pair per neighbour and no
   * sort per rebuild.
   */
  current(item: number, nowMs?: number): { readonly ids: Float64Array; readonly scores: Float64Array; readonly len: number } | undefined {
    return this.built(item, nowMs);
  }

  private built(item: number, nowMs: number | undefined): Row | undefined {
    const row = this.rows.get(item);
    if (row === undefined) return undefined;
    if (row.len >= 0 && row.epoch === this.epoch) {
      if (!row.dirty) return row;
      if (nowMs !== undefined && nowMs - row.builtAt < this.refreshMs) return row;
    }
    const ni = this.count(item);
    const k = Math.min(row.np, this.opts.maxNeighbors);
    if (row.ids.length < k) {
      // most items have a few partners: size the list to them, growing by doubling up to maxNeighbors
      const cap = Math.min(this.opts.maxNeighbors, Math.max(8, k, 2 * row.ids.length));
      row.ids = new Float64Array(cap);
      row.scores = new Float64Array(cap);
    }
    if (row.np <= this.opts.maxNeighbors) {
      // every partner is kept (most rows): the scores straight into the list, in slot order
      this.fillInto(row, ni, row.ids, row.scores);
    } else {
      const n = this.fillScratch(row, ni);
      const order = this.order();
      selectTopSetInto(this.scratchIds, this.scratchScores, n, k, order);
      for (let r = 0; r < k; r++) {
        row.ids[r] = this.scratchIds[order[r]!]!;
        row.scores[r] = this.scratchScores[order[r]!]!;
      }
    }
    row.len = k;
    row.list = undefined;
    row.dirty = false;
    row.builtAt = nowMs ?? -Infinity; // a clock-less build does not start an interval
    row.epoch = this.epoch;
    return row;
  }

  private orderScratch = new Int32Array(0);
  private order(): Int32Array {
    if (this.orderScratch.length < this.opts.maxNeighbors) this.orderScratch = new Int32Array(this.opts.maxNeighbors);
    return this.orderScratch;
  }

  /** n(item): how many engagements the item had (0 for none). */
  private count(item: number): number {
    if (item >= 0 && item < this.counts.length && Number.isInteger(item)) return this.counts[item]!;
    return this.countOther.get(item) ?? 0;
  }

  private countUp(item: number): void {
    if (Number.isInteger(item) && item >= 0 && item < DENSE_IDS) {
      if (item >= this.counts.length) {
        const grown = new Float64Array(Math.max(item + 1, this.counts.length * 2));
        grown.set(this.counts);
        this.counts = grown;
      }
      this.counts[item]!++;
    } else this.countOther.set(item, (this.countOther.get(item) ?? 0) + 1);
  }

  private bump(a: number, b: number): void {
    let row = this.rows.get(a);
    if (row === undefined) {
      row = { slot: new Int32Array(16), slotOther: undefined, pid: new Float64Array(8), pc: new Int32Array(8), np: 0, ids: NO_IDS, scores: NO_IDS, len: -1, list: undefined, dirty: true, builtAt: 0, epoch: this.epoch };
      this.rows.set(a, row);
    }
    row.dirty = true;
    const at = slotOf(row, b);
    if (at >= 0) {
      row.pc[at]!++;
      return;
    }
    if (row.np >= this.maxPairs) this.prune(a, row);
    if (row.np === row.pid.length) {
      const cap = Math.min(this.maxPairs, row.np * 2);
      const pid = new Float64Array(cap);
      pid.set(row.pid);
      const pc = new Int32Array(cap);
      pc.set(row.pc);
      row.pid = pid;
      row.pc = pc;
    }
    row.pid[row.np] = b;
    row.pc[row.np] = 1;
    row.np++;
    setSlot(row, b, row.np - 1);
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
    const n = this.fillScratch(row, this.count(a));
    const ids = this.scratchIds;
    const key = this.scratchScores;
    const list = selectTop(ids, key, n, this.opts.maxNeighbors);
    for (let i = 0; i < n; i++) key[i] = row.pc[i]!; // fillScratch keeps the slot order
    for (const i of list) key[i] = Infinity;
    const keep = selectTop(ids, key, n, this.maxPairs >> 1);
    const pid = new Float64Array(row.pid.length);
    const pc = new Int32Array(row.pc.length);
    for (let r = 0; r < keep.length; r++) {
      const i = keep[r]!;
      pid[r] = ids[i]!;
      pc[r] = row.pc[i]!;
    }
    row.pid = pid;
    row.pc = pc;
    row.np = keep.length;
    row.slot.fill(0);
    row.slotOther = undefined;
    for (let r = 0; r < keep.length; r++) setSlot(row, pid[r]!, r);
  }

  /** Partner ids and c / sqrt(ni nj) scores into the scratch arrays; returns how many. */
  private fillScratch(row: Row, ni: number): number {
    if (this.scratchIds.length < row.np) {
      this.scratchIds = new Float64Array(row.np * 2);
      this.scratchScores = new Float64Array(row.np * 2);
    }
    return this.fillInto(row, ni, this.scratchIds, this.scratchScores);
  }

  /** Partner ids and c / sqrt(ni nj) scores into `ids`/`scores` (room for `np`), in slot order; returns how many. */
  private fillInto(row: Row, ni: number, ids: Float64Array, scores: Float64Array): number {
    const counts = this.counts;
    const pid = row.pid, pc = row.pc, np = row.np;
    for (let k = 0; k < np; k++) {
      const j = pid[k]!;
      ids[k] = j;
      // a partner never engaged itself counts as 1 (counts of engaged items are >= 1)
      const nj = j >= 0 && j < counts.length && Number.isInteger(j) ? counts[j]! || 1 : (this.countOther.get(j) ?? 1);
      scores[k] = pc[k]! / Math.sqrt(ni * nj);
    }
    return np;
  }
}

/** The position of partner `b` in the row's `pid`, or -1 when it has none (a Map's get, by the same keys). */
function slotOf(row: Row, b: number): number {
  if ((b | 0) === b && b >= 0) {
    const tab = row.slot, pid = row.pid;
    const mask = tab.length - 1;
    for (let h = Math.imul(b, HASH_MUL) >>> Math.clz32(mask); ; h = (h + 1) & mask) {
      const v = tab[h]!;
      if (v === 0) return -1;
      if (pid[v - 1] === b) return v - 1;
    }
  }
  return row.slotOther?.get(b) ?? -1;
}

/** Records that partner `b` (not in the table yet; already counted in `np`) sits at `pos`. */
function setSlot(row: Row, b: number, pos: number): void {
  if (!((b | 0) === b && b >= 0)) {
    (row.slotOther ??= new Map<number, number>()).set(b, pos);
    return;
  }
  if (row.slot.length < 2 * row.np) {
    // re-inserts every tabled partner, `b` among them
    let cap = row.slot.length * 2;
    while (cap < 2 * row.np) cap *= 2;
    row.slot = new Int32Array(cap);
    for (let i = 0; i < row.np; i++) {
      const p = row.pid[i]!;
      if ((p | 0) === p && p >= 0) insertSlot(row.slot, p, i);
    }
    return;
  }
  insertSlot(row.slot, b, pos);
}

function insertSlot(tab: Int32Array, b: number, pos: number): void {
  const mask = tab.length - 1;
  let h = Math.imul(b, HASH_MUL) >>> Math.clz32(mask);
  while (tab[h] !== 0) h = (h + 1) & mask;
  tab[h] = pos + 1;
}

/** Fibonacci hashing: the product's top bits index a table of a power-of-two length. */
const HASH_MUL = 0x9e3779b1 | 0;

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
  const out = new Int32Array(Math.max(0, Math.min(k, n)));
  const m = selectTopInto(ids, scores, n, k, out);
  return Array.from(out.subarray(0, m));
}

let heapScratch = new Int32Array(256);

/**
 * The positions of the best `k` of the first `n` entries (as `selectTopInto` picks them) into `out`, in no
 * particular order: its heap pass without the final sort. Returns how many.
 */
export function selectTopSetInto(ids: Float64Array, scores: Float64Array, n: number, k: number, out: Int32Array): number {
  k = Math.min(k, n);
  if (k <= 0) return 0;
  const size = fillHeap(ids, scores, n, k);
  const heap = heapScratch;
  for (let r = 0; r < size; r++) out[r] = heap[r]!;
  return size;
}

/** Leaves the best `k` (<= n, >= 1) of the first `n` entries in `heapScratch` as a min-heap (worst on top); returns its size. */
function fillHeap(ids: Float64Array, scores: Float64Array, n: number, k: number): number {
  if (heapScratch.length < k) heapScratch = new Int32Array(k * 2);
  const heap = heapScratch;
  let size = 0;
  for (let x = 0; x < n; x++) {
    if (size < k) {
      heap[size++] = x;
      let i = size - 1;
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
      siftDown(heap, size, ids, scores);
    }
  }
  return size;
}

/** selectTop into `out` (length >= min(k, n)); returns how many positions it wrote. */
export function selectTopInto(ids: Float64Array, scores: Float64Array, n: number, k: number, out: Int32Array): number {
  k = Math.min(k, n);
  if (k <= 0) return 0;
  let size = fillHeap(ids, scores, n, k);
  const heap = heapScratch;
  const m = size;
  for (let r = m - 1; r >= 0; r--) {
    out[r] = heap[0]!;
    const last = heap[--size]!;
    if (size > 0) {
      heap[0] = last;
      siftDown(heap, size, ids, scores);
    }
  }
  return m;
}

function siftDown(heap: Int32Array, size: number, ids: Float64Array, scores: Float64Array): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    const m = r < size && worse(ids, scores, heap[r]!, heap[l]!) ? r : l;
    if (!worse(ids, scores, heap[m]!, heap[i]!)) return;
    const t = heap[i]!;
    heap[i] = heap[m]!;
    heap[m] = t;
    i = m;
  }
}

/** Collaborative retrieval: neighbours of the user's recent items, recent seeds weighted higher. */
export class CollaborativeSource implements CandidateSource {
  readonly name = "collaborative" as const;
  private ids = new Float64Array(256);
  private scores = new Float64Array(256);
  private order = new Int32Array(256);
  // Scores accumulated per candidate id: a flat array for dense ids (`has` marks the ones touched, listed in
  // first-touch order in `ids`), a map for the rest; reset after each request.
  private acc = new Float64Array(1024);
  private has = new Uint8Array(1024);
  // replaced when used rather than cleared: V8 gives a long-lived Map's new table (clear() allocates one) to
  // the old generation, garbage for the next major GC at every request
  private other = new Map<number, number>();

  constructor(private readonly index: CoEngagementIndex, private readonly seeds = 20, private readonly recencyDecay = 0.9) {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const seeds = Math.min(this.seeds, req.recent.length);
    let n = 0;
    for (let rank = 0; rank < seeds; rank++) {
      const w = this.recencyDecay ** rank;
      const row = this.index.current(req.recent[rank]!, req.nowMs);
      if (row === undefined) continue;
      const nIds = row.ids, nScores = row.scores;
      for (let r = 0; r < row.len; r++) {
        const j = nIds[r]!;
        if (req.seen(j)) continue;
        if (j >= 0 && j < DENSE_IDS && Number.isInteger(j)) {
          if (j >= this.acc.length) this.grow(j);
          if (this.has[j] === 0) {
            this.has[j] = 1;
            this.acc[j] = 0;
            if (n === this.ids.length) this.growIds();
            this.ids[n++] = j;
          }
          this.acc[j] = this.acc[j]! + w * nScores[r]!;
        } else {
          const prev = this.other.get(j);
          if (prev === undefined) {
            if (n === this.ids.length) this.growIds();
            this.ids[n++] = j;
          }
          this.other.set(j, (prev ?? 0) + w * nScores[r]!);
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const j = this.ids[i]!;
      if (j >= 0 && j < this.has.length && this.has[j] === 1) {
        this.scores[i] = this.acc[j]!;
        this.has[j] = 0;
      } else this.scores[i] = this.other.get(j)!;
    }
    if (this.other.size > 0) this.other = new Map<number, number>();
    if (this.order.length < Math.min(limit, n)) this.order = new Int32Array(Math.min(limit, n) * 2);
    const m = selectTopInto(this.ids, this.scores, n, limit, this.order);
    const out: Candidate[] = new Array(m);
    for (let r = 0; r < m; r++) {
      const i = this.order[r]!;
      out[r] = { id: this.ids[i]!, score: this.scores[i]!, source: this.name };
    }
    return out;
  }

  private grow(j: number): void {
    const cap = Math.max(j + 1, this.acc.length * 2);
    const acc = new Float64Array(cap);
    acc.set(this.acc);
    this.acc = acc;
    const has = new Uint8Array(cap);
    has.set(this.has);
    this.has = has;
  }

  private growIds(): void {
    const ids = new Float64Array(this.ids.length * 2);
    ids.set(this.ids);
    this.ids = ids;
    this.scores = new Float64Array(this.ids.length);
  }
}
