import { sortedSparseGini } from "./diversity-metrics.ts";

/**
 * The plain data of an exposure window (what an actor state holds and a checkpoint encodes): the exposed
 * video ids in ascending order and their decayed exposure counts, parallel.
 */
export interface ExposureWindowState {
  ids: number[];
  counts: number[];
}

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
 */
const ABSENT = -1;
const FRESH = -2;
/** An update touching at least 1/BULK_SHARE of the window re-sorts the values instead of moving each. */
const BULK_SHARE = 4;

export class ExposureWindow {
  /** Counts ascending, with their ids (ties in any order: equal values give equal sums). */
  private sortedVals = new Float64Array(64);
  private sortedIds = new Int32Array(64);
  private len = 0;
  /** False after a bulk update sorted the values alone: `sortedIds` is rebuilt before it is next used. */
  private idsInOrder = true;
  /** Per id: 1 while touched in the current update. */
  private mark = new Uint8Array(1024);
  /** Per id, during an update: its index in the state lists, FRESH, or ABSENT. */
  private pos = new Int32Array(1024).fill(ABSENT);
  /** Per FRESH id, during an update: its count so far. */
  private acc = new Float64Array(1024);
  private touched: number[] = [];
  /** Room for sortDoubles' passes. */
  private scratch = new Float64Array(0);

  constructor(readonly state: ExposureWindowState) {
    const n = state.ids.length;
    if (n > 0) this.grow(state.ids[n - 1]!);
    // the values alone, natively: a coordinator re-activated with a catalog-sized window answers at once;
    // the ids' order is made when a small update first needs it
    this.sortValues();
  }

  /** The values sorted anew from the state (natively); `sortedIds` is stale until `resort`. */
  private sortValues(): void {
    const counts = this.state.counts;
    this.ensure(counts.length);
    const sv = this.sortedVals.subarray(0, counts.length);
    for (let i = 0; i < sv.length; i++) sv[i] = counts[i]!;
    if (this.scratch.length < sv.length) this.scratch = new Float64Array(this.sortedVals.length);
    sortDoubles(sv, this.scratch);
    this.len = sv.length;
    this.idsInOrder = false;
  }

  /** The sorted lists (values and their ids) made anew from the state. */
  private resort(): void {
    const { ids, counts } = this.state;
    const n = ids.length;
    this.ensure(n);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[a]! - counts[b]!);
    for (let r = 0; r < n; r++) {
      this.sortedVals[r] = counts[order[r]!]!;
      this.sortedIds[r] = ids[order[r]!]!;
    }
    this.len = n;
    this.idsInOrder = true;
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
    const { ids, counts } = this.state;
    let w = 0;
    for (let i = 0; i < ids.length; i++) {
      const v = counts[i]! * k;
      if (v < floor) continue;
      ids[w] = ids[i]!;
      counts[w++] = v;
    }
    ids.length = w;
    counts.length = w;
    const sv = this.sortedVals, si = this.sortedIds;
    let j = 0;
    for (let i = 0; i < this.len; i++) {
      const v = sv[i]! * k;
      if (v < floor) continue;
      sv[j] = v;
      si[j++] = si[i]!;
    }
    this.len = j;
  }

  /** Adds `counts[i]` to video `ids[i]` (a video may appear more than once). */
  add(ids: ArrayLike<number>, counts: ArrayLike<number>): void {
    const st = this.state;
    let maxId = -1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0) throw new RangeError(`video id must be a non-negative integer, got ${id}`);
      if (id > maxId) maxId = id;
    }
    if (maxId >= this.mark.length) this.grow(maxId);
    // where each kept id sits in the state lists, for this update only (FRESH: new here, summed in `acc`)
    const pos = this.pos, acc = this.acc, mark = this.mark, touched = this.touched;
    for (let i = 0; i < st.ids.length; i++) pos[st.ids[i]!] = i;
    const fresh: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const c = counts[i]!;
      if (mark[id] === 0) {
        mark[id] = 1;
        touched.push(id);
      }
      const at = pos[id]!;
      // the same additions in the same order as a record keyed by id: bit-for-bit the same counts
      if (at >= 0) st.counts[at] = st.counts[at]! + c;
      else if (at === FRESH) acc[id] = acc[id]! + c;
      else {
        pos[id] = FRESH;
        acc[id] = 0 + c;
        fresh.push(id);
      }
    }
    for (let i = 0; i < st.ids.length; i++) pos[st.ids[i]!] = ABSENT;
    if (fresh.length > 0) {
      const order = Int32Array.from(fresh).sort(); // ids are int32: a native numeric sort
      // merge the new ids into the ascending lists, from the back, in place
      const n = st.ids.length, m = fresh.length;
      for (let k = 0; k < m; k++) {
        st.ids.push(0);
        st.counts.push(0);
      }
      let i = n - 1, j = m - 1;
      for (let w = n + m - 1; j >= 0; w--) {
        if (i >= 0 && st.ids[i]! > order[j]!) {
          st.ids[w] = st.ids[i]!;
          st.counts[w] = st.counts[i--]!;
        } else {
          const id = order[j--]!;
          st.ids[w] = id;
          st.counts[w] = acc[id]!;
          pos[id] = ABSENT;
        }
      }
    }
    if (touched.length * BULK_SHARE >= st.ids.length) {
      // most of the window moved (a serving node's summary touches tens of thousands of videos): sorting the
      // values natively is cheaper than moving each touched one; the ids' order is rebuilt when next needed
      for (const id of touched) mark[id] = 0;
      touched.length = 0;
      this.sortValues();
      return;
    }
    if (!this.idsInOrder) {
      for (const id of touched) mark[id] = 0;
      touched.length = 0;
      this.resort();
      return;
    }
    // the touched counts leave the sorted order and come back at their new places
    const sv = this.sortedVals, si = this.sortedIds;
    let w = 0;
    for (let r = 0; r < this.len; r++) {
      if (mark[si[r]!] === 1) continue;
      sv[w] = sv[r]!;
      si[w++] = si[r]!;
    }
    const moved = touched.map((id) => {
      const at = lowerBound(st.ids, id);
      mark[id] = 0;
      return [st.counts[at]!, id] as const;
    });
    touched.length = 0;
    moved.sort((a, b) => a[0] - b[0]);
    const total = w + moved.length;
    this.ensure(total);
    const sv2 = this.sortedVals, si2 = this.sortedIds;
    let a = w - 1, b = moved.length - 1;
    for (let out = total - 1; b >= 0; out--) {
      if (a >= 0 && sv2[a]! > moved[b]![0]) {
        sv2[out] = sv2[a]!;
        si2[out] = si2[a--]!;
      } else {
        sv2[out] = moved[b]![0];
        si2[out] = moved[b--]![1];
      }
    }
    this.len = total;
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
    return sortedSparseGini(this.sortedVals, this.len, n);
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
/** Counts per 16-bit digit value, reused by sortDoubles. */
const digitCounts = new Uint32Array(1 << 16);

/**
 * Sorts `a` ascending in place, the same result as `a.sort()` (Float64Array's numeric order) bit for bit:
 * doubles without the sign bit order as their bit patterns do as unsigned integers, so an LSD radix sort
 * over four 16-bit digits (a pass skipped where every value has the same digit) gives the one ascending
 * sequence; values with the sign bit (negatives, -0) take the native sort. 100k window counts: ~2 ms
 * instead of the native sort's 7-12 ms, in a homogenization merge on a serving node's event loop.
 * `scratch` holds at least a.length values.
 */
export function sortDoubles(a: Float64Array, scratch: Float64Array): void {
  const n = a.length;
  if (n < 256 || !LITTLE_ENDIAN) {
    a.sort();
    return;
  }
  let src = a, dst = scratch.subarray(0, n);
  let srcW = new Uint32Array(src.buffer, src.byteOffset, n * 2), dstW = new Uint32Array(dst.buffer, dst.byteOffset, n * 2);
  for (let i = 1; i < 2 * n; i += 2) {
    if (srcW[i]! >= 0x80000000) {
      a.sort();
      return;
    }
  }
  const cnt = digitCounts;
  // little-endian words: [low, high] per double; digits from the lowest 16 bits up
  for (let d = 0; d < 4; d++) {
    const word = d >> 1, shift = (d & 1) * 16;
    cnt.fill(0);
    for (let i = 0; i < n; i++) cnt[(srcW[2 * i + word]! >>> shift) & 0xffff]!++;
    if (cnt[(srcW[word]! >>> shift) & 0xffff] === n) continue; // one digit value: this pass moves nothing
    let sum = 0;
    for (let k = 0; k < 65536; k++) {
      const c = cnt[k]!;
      cnt[k] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) dst[cnt[(srcW[2 * i + word]! >>> shift) & 0xffff]!++] = src[i]!;
    const t = src;
    src = dst;
    dst = t;
    const tw = srcW;
    srcW = dstW;
    dstW = tw;
  }
  if (src !== a) a.set(src);
}
