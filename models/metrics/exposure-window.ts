import { sortedSparseGini, sortedSparseGiniSteps } from "./diversity-metrics.ts";

/**
 * The plain data of an exposure window (what an actor state holds and a checkpoint encodes): the exposed
 * video ids in ascending order and their decayed exposure counts, parallel.
 */
export interface ExposureWindowState {
  ids: number[];
  counts: number[];
}

/**
 * Work done in steps: each `next()` does a bounded slice of it (at most STEP elements of a loop, a 64k-entry
 * histogram, or a short native operation), and the last returns the result. `drain` runs one to the end.
 */
export type Steps<T = void> = Generator<void, T, void>;

/** Runs stepped work to its end in the caller's turn. */
export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/** Elements a loop handles between two yields of stepped work (~10-60 µs). */
const STEP = 4096;
const STEP_MASK = STEP - 1;

/**
 * A decaying per-video exposure window with its Gini kept up to date incrementally: the same numbers as
 * holding the counts in an object keyed by id, decaying every entry, and sorting all of them for the Gini
 * at every update (what the homogenization monitor did), at O(k + m log m) per update for k exposed
 * videos and m touched ones instead of O(k log k) with a string key per entry.
 *
 * Exactness: a decay multiplies every count by one factor, which keeps their sorted order, and drops
 * those below the floor (a prefix of that order); only the m touched counts move, and they are merged back
 * in. The sums run over the same doubles in the same order as before (values ascending for the Gini,
 * ids ascending for the volume), so the results are bit-for-bit those of the batch computation.
 *
 * Steps: `update` is the same computation cut into bounded steps (a generator; no loop, sort or histogram
 * runs more than STEP elements between two yields), so a serving node can spread a summary that touches
 * ~60k videos of a 100k window over several event-loop turns (15-30 ms in one turn). `decay` and `add` run
 * those steps to the end at once; the results do not depend on where the steps are cut.
 */
const ABSENT = -1;
const FRESH = -2;
/** An update touching at least 1/BULK_SHARE of the window re-sorts the values instead of moving each. */
const BULK_SHARE = 4;

/** The order kept in `sortedVals`/`sortedIds`. */
const enum Sorted {
  /** Not built (a window made from a stored state): built when first needed. */
  None,
  /** The values ascending; `sortedIds` stale (after a bulk update), rebuilt when a small update needs it. */
  Values,
  /** The values ascending with their ids. */
  Both,
}

export class ExposureWindow {
  /** Counts ascending, with their ids (ties in any order: equal values give equal sums). */
  private sortedVals = new Float64Array(64);
  private sortedIds = new Int32Array(64);
  private len = 0;
  private sorted = Sorted.Both;
  /** Per id: 1 while touched in the current update. */
  private mark = new Uint8Array(1024);
  /** Per id, during an update: its index in the state lists, FRESH, or ABSENT. */
  private pos = new Int32Array(1024).fill(ABSENT);
  /** Per FRESH id, during an update: its count so far. */
  private acc = new Float64Array(1024);
  private touched: number[] = [];
  /** The touched counts of a small update, and its new ids, on their way into the sorted order. */
  private movedVals = new Float64Array(0);
  private movedIds = new Int32Array(0);
  /** Positions of a merge from the back between two of its slices: [from the first list, the second, out]. */
  private readonly cursor = new Int32Array(3);
  /** Room for the radix sort's passes (this window's own: stepped sorts of two windows may interleave). */
  private readonly radix: RadixBuffers = { vals: new Float64Array(0), ids: new Int32Array(0), counts: new Uint32Array(1 << 16) };

  constructor(readonly state: ExposureWindowState) {
    const n = state.ids.length;
    if (n > 0) this.grow(state.ids[n - 1]!);
    // nothing sorted yet: a coordinator re-activated with a catalog-sized window sorts in the steps of its
    // first update (or at once for a Gini asked before one)
    if (n > 0) this.sorted = Sorted.None;
  }

  /** The window's sort of its values (sortDoubles below), for its tests. */
  static readonly sortDoubles = sortDoubles;

  static empty(): ExposureWindowState {
    return { ids: [], counts: [] };
  }

  /** The state from an id -> count record (states written before this class). */
  static fromRecord(r: Record<string, number>): ExposureWindowState {
    const ids = Object.keys(r).map(Number).sort((a, b) => a - b);
    return { ids, counts: ids.map((id) => r[String(id)]!) };
  }

  /** How many videos have a count in the window. */
  get size(): number {
    return this.state.ids.length;
  }

  /** Multiplies every count by `k` and forgets those that fall below `floor`. */
  decay(k: number, floor: number): void {
    drain(this.decaySteps(k, floor));
  }

  /** Adds `counts[i]` to video `ids[i]` (a video may appear more than once). */
  add(ids: ArrayLike<number>, counts: ArrayLike<number>): void {
    drain(this.addSteps(ids, counts));
  }

  /**
   * `decay(k, floor)` (unless `k` is null) then `add(ids, counts)`, in bounded steps. The state lists change
   * in place as the steps run: until the last step, finish it (`drain`) before reading or storing them.
   * `ids`/`counts` must not change meanwhile.
   */
  *update(k: number | null, floor: number, ids: ArrayLike<number>, counts: ArrayLike<number>): Steps {
    if (k !== null) yield* this.decaySteps(k, floor);
    yield* this.addSteps(ids, counts);
  }

  /** Sum of the counts, added in ascending id order. */
  volume(): number {
    const c = this.state.counts;
    let s = 0;
    for (let i = 0; i < c.length; i++) s += c[i]!;
    return s;
  }

  /** Exposure Gini over a catalog of `n` videos (= sparseGini of the counts). */
  gini(n: number): number {
    if (this.sorted === Sorted.None) drain(this.sortValuesSteps());
    return sortedSparseGini(this.sortedVals, this.len, n);
  }

  /** `volume()` in steps: the same additions in the same order. */
  *volumeSteps(): Steps<number> {
    const c = this.state.counts;
    let s = 0;
    for (let from = 0; from < c.length; from += STEP) {
      const to = Math.min(c.length, from + STEP);
      s = sumRange(c, from, to, s);
      if (to === from + STEP) yield;
    }
    return s;
  }

  /**
   * `gini(n)` in steps: sortedSparseGini's own steps (diversity-metrics) over the sorted values, bit for bit
   * the same figure (tested against it).
   */
  *giniSteps(n: number): Steps<number> {
    if (this.sorted === Sorted.None) yield* this.sortValuesSteps();
    return yield* sortedSparseGiniSteps(this.sortedVals, this.len, n, STEP_MASK);
  }

  private *decaySteps(k: number, floor: number): Steps {
    const { ids, counts } = this.state;
    const n = ids.length;
    let w = 0;
    for (let from = 0; from < n; from += STEP) {
      const to = Math.min(n, from + STEP);
      w = decayRange(ids, counts, k, floor, from, to, w);
      if (to === from + STEP) yield;
    }
    ids.length = w;
    counts.length = w;
    if (this.sorted === Sorted.None) return;
    const sv = this.sortedVals, si = this.sortedIds;
    const len = this.len;
    let j = 0;
    for (let from = 0; from < len; from += STEP) {
      const to = Math.min(len, from + STEP);
      j = decaySortedRange(si, sv, k, floor, from, to, j);
      if (to === from + STEP) yield;
    }
    this.len = j;
  }

  private *addSteps(ids: ArrayLike<number>, counts: ArrayLike<number>): Steps {
    const st = this.state;
    let maxId = -1;
    for (let from = 0; from < ids.length; from += STEP) {
      const to = Math.min(ids.length, from + STEP);
      maxId = checkIds(ids, from, to, maxId);
      if (to === from + STEP) yield;
    }
    if (maxId >= this.mark.length) this.grow(maxId);
    // where each kept id sits in the state lists, for this update only (FRESH: new here, summed in `acc`)
    const pos = this.pos, acc = this.acc, mark = this.mark, touched = this.touched;
    const kept = st.ids.length;
    for (let from = 0; from < kept; from += STEP) {
      const to = Math.min(kept, from + STEP);
      setPositions(st.ids, pos, from, to, true);
      if (to === from + STEP) yield;
    }
    let freshN = 0;
    for (let from = 0; from < ids.length; from += STEP) {
      const to = Math.min(ids.length, from + STEP);
      freshN = addRange(ids, counts, st.counts, pos, acc, mark, touched, from, to, freshN);
      if (to === from + STEP) yield;
    }
    for (let from = 0; from < kept; from += STEP) {
      const to = Math.min(kept, from + STEP);
      setPositions(st.ids, pos, from, to, false);
      if (to === from + STEP) yield;
    }
    if (freshN > 0) {
      // the new ids ascending (as doubles: non-negative integers sort by their bits like their values)
      const fresh = this.moved(freshN).vals;
      let f = 0;
      for (let t = 0; t < touched.length; t++) {
        const id = touched[t]!;
        if (pos[id] === FRESH) fresh[f++] = id;
        if ((t & STEP_MASK) === STEP_MASK) yield;
      }
      yield* radixSteps(fresh, freshN, null, this.radix);
      // merge the new ids into the ascending lists, from the back, in place
      const n = st.ids.length, m = freshN;
      for (let k = 0; k < m; k++) {
        st.ids.push(0);
        st.counts.push(0);
        if ((k & STEP_MASK) === STEP_MASK) yield;
      }
      const cur = this.cursor;
      cur[0] = n - 1;
      cur[1] = m - 1;
      cur[2] = n + m - 1;
      for (;;) {
        mergeFreshBack(st.ids, st.counts, fresh, acc, pos, cur, STEP);
        if (cur[1] < 0) break;
        yield;
      }
    }
    if (touched.length * BULK_SHARE >= st.ids.length) {
      // most of the window moved (a serving node's summary touches tens of thousands of videos): sorting the
      // values is cheaper than moving each touched one; the ids' order is rebuilt when next needed
      yield* this.clearTouched();
      yield* this.sortValuesSteps();
      return;
    }
    if (this.sorted !== Sorted.Both) {
      yield* this.clearTouched();
      yield* this.resortSteps();
      return;
    }
    // the touched counts leave the sorted order and come back at their new places
    const sv = this.sortedVals, si = this.sortedIds;
    const len = this.len;
    let w = 0;
    for (let from = 0; from < len; from += STEP) {
      const to = Math.min(len, from + STEP);
      w = dropMarked(sv, si, mark, from, to, w);
      if (to === from + STEP) yield;
    }
    const mc = touched.length;
    const { vals: mv, ids: mi } = this.moved(mc);
    for (let from = 0; from < mc; from += 1024) {
      const to = Math.min(mc, from + 1024);
      takeMoved(st, touched, mark, mv, mi, from, to);
      if (to === from + 1024) yield;
    }
    touched.length = 0;
    yield* radixSteps(mv, mc, mi, this.radix);
    const total = w + mc;
    this.ensure(total);
    const sv2 = this.sortedVals, si2 = this.sortedIds;
    const cur = this.cursor;
    cur[0] = w - 1;
    cur[1] = mc - 1;
    cur[2] = total - 1;
    for (;;) {
      mergeMovedBack(sv2, si2, mv, mi, cur, STEP);
      if (cur[1] < 0) break;
      yield;
    }
    this.len = total;
  }

  /** Unmarks this update's touched ids. */
  private *clearTouched(): Steps {
    const mark = this.mark, touched = this.touched;
    for (let from = 0; from < touched.length; from += STEP) {
      const to = Math.min(touched.length, from + STEP);
      for (let t = from; t < to; t++) mark[touched[t]!] = 0;
      if (to === from + STEP) yield;
    }
    touched.length = 0;
  }

  /** The values sorted anew from the state; `sortedIds` is stale until `resortSteps`. */
  private *sortValuesSteps(): Steps {
    const counts = this.state.counts;
    const n = counts.length;
    this.ensure(n);
    const sv = this.sortedVals;
    for (let from = 0; from < n; from += STEP) {
      const to = Math.min(n, from + STEP);
      copyRange(counts, sv, null, null, from, to);
      if (to === from + STEP) yield;
    }
    yield* radixSteps(sv, n, null, this.radix);
    this.len = n;
    this.sorted = Sorted.Values;
  }

  /** The sorted lists (values and their ids) made anew from the state. */
  private *resortSteps(): Steps {
    const { ids, counts } = this.state;
    const n = ids.length;
    this.ensure(n);
    const sv = this.sortedVals, si = this.sortedIds;
    for (let from = 0; from < n; from += STEP) {
      const to = Math.min(n, from + STEP);
      copyRange(counts, sv, ids, si, from, to);
      if (to === from + STEP) yield;
    }
    yield* radixSteps(sv, n, si, this.radix);
    this.len = n;
    this.sorted = Sorted.Both;
  }

  /** Room for `n` moved values and ids. */
  private moved(n: number): { vals: Float64Array; ids: Int32Array } {
    if (this.movedVals.length < n) {
      const cap = Math.max(n, this.movedVals.length * 2);
      this.movedVals = new Float64Array(cap);
      this.movedIds = new Int32Array(cap);
    }
    return { vals: this.movedVals, ids: this.movedIds };
  }

  private ensure(n: number): void {
    if (this.sortedVals.length >= n) return;
    const cap = Math.max(n, this.sortedVals.length * 2);
    const v = new Float64Array(cap);
    v.set(this.sortedVals.subarray(0, this.len));
    const i = new Int32Array(cap);
    i.set(this.sortedIds.subarray(0, this.len));
    this.sortedVals = v;
    this.sortedIds = i;
  }

  private grow(id: number): void {
    if (id < this.mark.length) return;
    const cap = Math.max(id + 1, this.mark.length * 2);
    const m = new Uint8Array(cap);
    m.set(this.mark);
    this.mark = m;
    const p = new Int32Array(cap).fill(ABSENT);
    p.set(this.pos);
    this.pos = p;
    this.acc = new Float64Array(cap);
  }
}

// The loops of the stepped work run in plain functions a slice (STEP elements) at a time, the generators
// only pausing between slices: a loop inside a generator is not optimised (V8 does not replace a running
// generator's frame), and there every double it touched was a new heap number - ~5x slower, and in a
// simulation the window's steps allocated a fifth of everything. The same operations in the same order.

/** The largest of ids[from, to) and `maxId`; throws on an id that is not a non-negative integer. */
function checkIds(ids: ArrayLike<number>, from: number, to: number, maxId: number): number {
  for (let i = from; i < to; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`video id must be a non-negative integer, got ${id}`);
    if (id > maxId) maxId = id;
  }
  return maxId;
}

/** pos[id] = its index (or ABSENT when `set` is false) for the state's ids[from, to). */
function setPositions(ids: readonly number[], pos: Int32Array, from: number, to: number, set: boolean): void {
  if (set) for (let i = from; i < to; i++) pos[ids[i]!] = i;
  else for (let i = from; i < to; i++) pos[ids[i]!] = ABSENT;
}

/**
 * Adds counts[i] to video ids[i] for i in [from, to): onto its state count when it has one, else into `acc`
 * (marked FRESH on its first count); marks and lists the touched ids. Returns `freshN` plus the new ids.
 */
function addRange(ids: ArrayLike<number>, counts: ArrayLike<number>, stCounts: number[], pos: Int32Array, acc: Float64Array, mark: Uint8Array, touched: number[], from: number, to: number, freshN: number): number {
  for (let i = from; i < to; i++) {
    const id = ids[i]!;
    const c = counts[i]!;
    if (mark[id] === 0) {
      mark[id] = 1;
      touched.push(id);
    }
    const at = pos[id]!;
    // the same additions in the same order as a record keyed by id: bit-for-bit the same counts
    if (at >= 0) stCounts[at] = stCounts[at]! + c;
    else if (at === FRESH) acc[id] = acc[id]! + c;
    else {
      pos[id] = FRESH;
      acc[id] = 0 + c;
      freshN++;
    }
  }
  return freshN;
}

/** The sorted entries [from, to) whose ids are not marked, moved down to index w on; returns the next w. */
function dropMarked(sv: Float64Array, si: Int32Array, mark: Uint8Array, from: number, to: number, w: number): number {
  for (let r = from; r < to; r++) {
    if (mark[si[r]!] === 1) continue;
    sv[w] = sv[r]!;
    si[w++] = si[r]!;
  }
  return w;
}

/**
 * Up to `limit` steps of the merge from the back of the state lists (ids[0, i] ascending) with the new ids
 * (fresh[0, j], their counts in `acc`) into place w downwards; `cur` holds [i, j, w] and is moved on.
 */
function mergeFreshBack(ids: number[], counts: number[], fresh: Float64Array, acc: Float64Array, pos: Int32Array, cur: Int32Array, limit: number): void {
  let i = cur[0]!, j = cur[1]!, w = cur[2]!;
  for (let k = 0; k < limit && j >= 0; k++, w--) {
    if (i >= 0 && ids[i]! > fresh[j]!) {
      ids[w] = ids[i]!;
      counts[w] = counts[i--]!;
    } else {
      const id = fresh[j--]!;
      ids[w] = id;
      counts[w] = acc[id]!;
      pos[id] = ABSENT;
    }
  }
  cur[0] = i;
  cur[1] = j;
  cur[2] = w;
}

/** The touched ids [from, to) with their new counts into mv/mi, unmarked. */
function takeMoved(st: ExposureWindowState, touched: number[], mark: Uint8Array, mv: Float64Array, mi: Int32Array, from: number, to: number): void {
  for (let t = from; t < to; t++) {
    const id = touched[t]!;
    mv[t] = st.counts[lowerBound(st.ids, id)]!;
    mi[t] = id;
    mark[id] = 0;
  }
}

/**
 * Up to `limit` steps of the merge from the back of the kept sorted entries (sv/si[0, a]) with the moved
 * ones (mv/mi[0, b], ascending) into place `out` downwards; `cur` holds [a, b, out] and is moved on.
 */
function mergeMovedBack(sv: Float64Array, si: Int32Array, mv: Float64Array, mi: Int32Array, cur: Int32Array, limit: number): void {
  let a = cur[0]!, b = cur[1]!, out = cur[2]!;
  for (let k = 0; k < limit && b >= 0; k++, out--) {
    if (a >= 0 && sv[a]! > mv[b]!) {
      sv[out] = sv[a]!;
      si[out] = si[a--]!;
    } else {
      sv[out] = mv[b]!;
      si[out] = mi[b--]!;
    }
  }
  cur[0] = a;
  cur[1] = b;
  cur[2] = out;
}

/** s + c[from] + ... + c[to - 1], added in index order. */
function sumRange(c: readonly number[], from: number, to: number, s: number): number {
  for (let i = from; i < to; i++) s += c[i]!;
  return s;
}

/**
 * The decay of entries [from, to) of parallel `ids`/`vals` (a state's lists or the sorted arrays): each
 * value times k, kept (moved down to index w on) unless below `floor`. Returns the next w.
 */
function decayRange(ids: number[], vals: number[], k: number, floor: number, from: number, to: number, w: number): number {
  for (let i = from; i < to; i++) {
    const v = vals[i]! * k;
    if (v < floor) continue;
    ids[w] = ids[i]!;
    vals[w++] = v;
  }
  return w;
}

/** decayRange over the sorted arrays (a function of its own: one kind of array each). */
function decaySortedRange(ids: Int32Array, vals: Float64Array, k: number, floor: number, from: number, to: number, w: number): number {
  for (let i = from; i < to; i++) {
    const v = vals[i]! * k;
    if (v < floor) continue;
    ids[w] = ids[i]!;
    vals[w++] = v;
  }
  return w;
}

/** vals[from, to) into `toVals` (and ids into `toIds` when given), at the same indices. */
function copyRange(vals: readonly number[], toVals: Float64Array, ids: readonly number[] | null, toIds: Int32Array | null, from: number, to: number): void {
  for (let i = from; i < to; i++) toVals[i] = vals[i]!;
  if (ids !== null && toIds !== null) for (let i = from; i < to; i++) toIds[i] = ids[i]!;
}

/** First index of `a` (ascending) whose value is >= x. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Scratch of a radix sort: values and ids (grown on demand) and the counts per 16-bit digit value. */
interface RadixBuffers {
  vals: Float64Array;
  ids: Int32Array;
  readonly counts: Uint32Array;
}

/**
 * Sorts `a` ascending in place, the same result as `a.sort()` (Float64Array's numeric order) bit for bit:
 * doubles without the sign bit order as their bit patterns do as unsigned integers, so an LSD radix sort
 * over four 16-bit digits (a pass skipped where every value has the same digit) gives the one ascending
 * sequence; values with the sign bit (negatives, -0) take the native sort. 100k window counts: ~2 ms
 * instead of the native sort's 7-12 ms, in a homogenization merge on a serving node's event loop.
 * `scratch` holds at least a.length values.
 */
export function sortDoubles(a: Float64Array, scratch: Float64Array): void {
  drain(radixSteps(a, a.length, null, { vals: scratch, ids: new Int32Array(0), counts: syncDigitCounts }));
}
const syncDigitCounts = new Uint32Array(1 << 16);

/**
 * The radix sort of sortDoubles over `a[0, n)`, in steps, carrying `ids[i]` with `a[i]` when `ids` is given
 * (equal values' ids in any order). Values with the sign bit take a native sort in one step.
 */
function* radixSteps(a: Float64Array, n: number, ids: Int32Array | null, bufs: RadixBuffers): Steps {
  if (n < 256 || !LITTLE_ENDIAN) {
    nativeSort(a, n, ids);
    return;
  }
  const aw = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  for (let from = 0; from < n; from += STEP) {
    const to = Math.min(n, from + STEP);
    if (anySignBit(aw, from, to)) {
      nativeSort(a, n, ids);
      return;
    }
    if (to === from + STEP) yield;
  }
  if (bufs.vals.length < n) bufs.vals = new Float64Array(n);
  if (ids !== null && bufs.ids.length < n) bufs.ids = new Int32Array(n);
  let src = a.subarray(0, n), dst = bufs.vals.subarray(0, n);
  let srcW = aw, dstW = new Uint32Array(dst.buffer, dst.byteOffset, n * 2);
  let srcI = ids, dstI = ids !== null ? bufs.ids : null;
  let inA = true;
  const cnt = bufs.counts;
  // little-endian words: [low, high] per double; digits from the lowest 16 bits up
  for (let d = 0; d < 4; d++) {
    const word = d >> 1, shift = (d & 1) * 16;
    cnt.fill(0);
    for (let from = 0; from < n; from += STEP) {
      const to = Math.min(n, from + STEP);
      countDigits(srcW, word, shift, cnt, from, to);
      if (to === from + STEP) yield;
    }
    if (cnt[(srcW[word]! >>> shift) & 0xffff] === n) continue; // one digit value: this pass moves nothing
    digitStarts(cnt);
    yield;
    for (let from = 0; from < n; from += STEP) {
      const to = Math.min(n, from + STEP);
      if (srcI === null) scatter(src, dst, srcW, word, shift, cnt, from, to);
      else scatterWithIds(src, dst, srcI, dstI!, srcW, word, shift, cnt, from, to);
      if (to === from + STEP) yield;
    }
    const t = src;
    src = dst;
    dst = t;
    const tw = srcW;
    srcW = dstW;
    dstW = tw;
    const ti = srcI;
    srcI = dstI;
    dstI = ti;
    inA = !inA;
  }
  if (!inA) {
    a.set(src);
    if (ids !== null) ids.set(srcI!.subarray(0, n));
  }
}

/** Whether a double among [from, to) has its sign bit set (`aw`: the doubles' little-endian words). */
function anySignBit(aw: Uint32Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (aw[2 * i + 1]! >= 0x80000000) return true;
  return false;
}

/** Counts the 16-bit digit (word `word`, bits from `shift`) of the doubles [from, to) into `cnt`. */
function countDigits(srcW: Uint32Array, word: number, shift: number, cnt: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) cnt[(srcW[2 * i + word]! >>> shift) & 0xffff]!++;
}

/** The digit counts turned into each digit's first place (an exclusive prefix sum, in place). */
function digitStarts(cnt: Uint32Array): void {
  let sum = 0;
  for (let k = 0; k < 65536; k++) {
    const c = cnt[k]!;
    cnt[k] = sum;
    sum += c;
  }
}

/** A radix pass over [from, to): each double to its digit's next place (`cnt` holds the places). */
function scatter(src: Float64Array, dst: Float64Array, srcW: Uint32Array, word: number, shift: number, cnt: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) dst[cnt[(srcW[2 * i + word]! >>> shift) & 0xffff]!++] = src[i]!;
}

/** `scatter` carrying each double's id along. */
function scatterWithIds(src: Float64Array, dst: Float64Array, si: Int32Array, di: Int32Array, srcW: Uint32Array, word: number, shift: number, cnt: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const at = cnt[(srcW[2 * i + word]! >>> shift) & 0xffff]!++;
    dst[at] = src[i]!;
    di[at] = si[i]!;
  }
}

/** `a[0, n)` ascending by the native sort, `ids` (when given) permuted with it. */
function nativeSort(a: Float64Array, n: number, ids: Int32Array | null): void {
  if (ids === null) {
    a.subarray(0, n).sort();
    return;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[x]! - a[y]!);
  const v = order.map((i) => a[i]!), d = order.map((i) => ids[i]!);
  for (let r = 0; r < n; r++) {
    a[r] = v[r]!;
    ids[r] = d[r]!;
  }
}
