import type { Candidate, CandidateRequest, CandidateSource } from "./candidate-source.ts";
import { selectTop, selectTopInto } from "./co-engagement.ts";

/**
 * Time-decayed engagement per cohort. A weight w at time t is stored as w * 2^((t - t0) / halfLife): the
 * ranking then never changes with the query time, so nothing has to be decayed on read; t0 is moved
 * forward before the factors could overflow.
 */
export class TrendingCounter {
  private readonly byCohort = new Map<string, ScoreTable>();
  private t0: number | undefined;
  private readonly topCache = new Map<string, TopCache>();

  /** `refreshMs`: clock time a cohort's top list is served for before it is brought up to date. */
  constructor(private readonly halfLifeMs: number, private readonly refreshMs = 1000) {}

  record(cohort: string, item: number, weight: number, nowMs: number): void {
    this.t0 ??= nowMs;
    let exp = (nowMs - this.t0) / this.halfLifeMs;
    if (exp > 500) {
      this.rebase(nowMs);
      exp = 0;
    }
    let m = this.byCohort.get(cohort);
    if (m === undefined) this.byCohort.set(cohort, (m = new ScoreTable()));
    m.add(item, weight * 2 ** exp);
    const cache = this.topCache.get(cohort);
    if (cache !== undefined) {
      if (weight < 0) cache.valid = false;
      else cache.touched.add(item);
    }
  }

  /** Decayed score as of `nowMs`. */
  score(cohort: string, item: number, nowMs: number): number {
    const v = this.byCohort.get(cohort)?.get(item) ?? 0;
    return this.t0 === undefined ? 0 : v * 2 ** (-(nowMs - this.t0) / this.halfLifeMs);
  }

  /**
   * `score` for many items of one cohort is `stored value * decayFactor` (0 while undefined: nothing
   * recorded yet), the factor computed once (the same expression, so the same doubles as `score`).
   */
  decayFactor(nowMs: number): number | undefined {
    return this.t0 === undefined ? undefined : 2 ** (-(nowMs - this.t0) / this.halfLifeMs);
  }

  /** The stored (undecayed) values of a cohort: score = value * decayFactor. */
  storedValues(cohort: string): StoredValues | undefined {
    return this.byCohort.get(cohort);
  }

  /**
   * Cohort items by decayed score, best first (ties by lower id). The list is cached per cohort and brought
   * up to date at most every `refreshMs` of clock time. Stored values never decay (see above) and only grow
   * with non-negative weights, so an item outside the cached top N that was not recorded since cannot enter
   * it: the update re-ranks only the cached top N plus the items recorded since, and gives exactly the list
   * a full sort would. A negative weight, or a request for more than the cached N, forces a full sort.
   */
  top(cohort: string, nowMs: number, limit: number): number[] {
    const list = this.topList(cohort, nowMs, limit);
    return list === undefined ? [] : Array.from(list.ids.subarray(0, Math.min(limit, list.len)));
  }

  /**
   * The cached list `top` slices (at least `limit` ids when the cohort has them; read-only, valid until the
   * next record or read), or undefined for an unknown cohort: for a caller that walks it, no copy.
   */
  topList(cohort: string, nowMs: number, limit: number): TopList | undefined {
    const m = this.byCohort.get(cohort);
    if (m === undefined) return undefined;
    let cache = this.topCache.get(cohort);
    if (cache !== undefined && cache.valid && cache.size >= limit && nowMs - cache.at < this.refreshMs) return cache;
    if (cache !== undefined && cache.valid && cache.size >= limit) {
      if (cache.touched.size > 0) {
        merge(cache, m);
        // a new set rather than clear(): V8 gives a long-lived Set's new table to the old generation
        cache.touched = new Set();
      }
      cache.at = nowMs;
    } else {
      const size = Math.max(limit, cache?.size ?? 0, 1000);
      const ranked = rank(m.keys, m, size);
      const ids = new Float64Array(size);
      const vals = new Float64Array(size);
      for (let i = 0; i < ranked.length; i++) {
        ids[i] = ranked[i]!;
        vals[i] = m.get(ranked[i]!)!;
      }
      cache = { at: nowMs, size, ids, vals, len: ranked.length, spareIds: new Float64Array(size), spareVals: new Float64Array(size), valid: true, touched: new Set() };
      this.topCache.set(cohort, cache);
    }
    return cache;
  }

  private rebase(nowMs: number): void {
    // one common factor keeps every order, but the cached values are now on the old scale
    for (const c of this.topCache.values()) c.valid = false;
    const f = 2 ** (-(nowMs - this.t0!) / this.halfLifeMs);
    for (const m of this.byCohort.values()) m.scale(f);
    this.t0 = nowMs;
  }
}

/** Read access to a cohort's stored values. */
export interface StoredValues {
  get(item: number): number | undefined;
}

/** Ids below this are kept in a flat array (the catalog's dense video numbers); others in a map. */
const DENSE_IDS = 1 << 24;

/**
 * A cohort's stored values: a flat array for dense video numbers (a feed reads hundreds of them, and a map
 * lookup each was ~6% of a simulation), a map for other ids; `keys` in first-record order.
 */
class ScoreTable implements StoredValues {
  private vals = new Float64Array(0);
  private present = new Uint8Array(0);
  private readonly other = new Map<number, number>();
  readonly keys: number[] = [];

  get(item: number): number | undefined {
    if (item >= 0 && item < this.vals.length && Number.isInteger(item)) return this.present[item] === 1 ? this.vals[item] : undefined;
    return this.other.get(item);
  }

  /** value = (value ?? 0) + delta. */
  add(item: number, delta: number): void {
    if (Number.isInteger(item) && item >= 0 && item < DENSE_IDS) {
      if (item >= this.vals.length) this.grow(item);
      if (this.present[item] === 0) {
        this.present[item] = 1;
        this.keys.push(item);
        this.vals[item] = 0 + delta;
      } else this.vals[item] = this.vals[item]! + delta;
      return;
    }
    const prev = this.other.get(item);
    if (prev === undefined) this.keys.push(item);
    this.other.set(item, (prev ?? 0) + delta);
  }

  /** Every value times f. */
  scale(f: number): void {
    for (const k of this.keys) {
      if (Number.isInteger(k) && k >= 0 && k < this.vals.length) this.vals[k] = this.vals[k]! * f;
      else this.other.set(k, this.other.get(k)! * f);
    }
  }

  private grow(item: number): void {
    const cap = Math.min(DENSE_IDS, Math.max(item + 1, 1024, this.vals.length * 2));
    const v = new Float64Array(cap);
    v.set(this.vals);
    this.vals = v;
    const p = new Uint8Array(cap);
    p.set(this.present);
    this.present = p;
  }
}

/** A cohort's cached best ids, best first: the first `len` of `ids`. */
export interface TopList {
  readonly ids: Float64Array;
  readonly len: number;
}

interface TopCache extends TopList {
  at: number;
  /** How many ids the list keeps (>= any limit asked so far, at least 1000); the arrays' length. */
  size: number;
  /** The cohort's best min(size, cohort size) items (`len` of them). */
  ids: Float64Array;
  /** Stored values of `ids` (unchanged for items not in `touched`). */
  vals: Float64Array;
  len: number;
  /** The arrays `ids`/`vals` had before the last merge, written by the next one (no new arrays per merge). */
  spareIds: Float64Array;
  spareVals: Float64Array;
  /** False after a negative weight: the next read sorts the whole cohort. */
  valid: boolean;
  /** Items recorded since the list was last brought up to date. */
  touched: Set<number>;
}

/**
 * Brings a cached list up to date: the untouched ids keep their values and so their order; the touched ids
 * are ranked by their new values and merged in; the first `size` are kept. The touched ids are ordered by a
 * selection over typed copies (score desc, ties by lower id: a total order, as the comparator sort gives it)
 * and looked up by a stamp per dense id; the result goes into the cache's spare arrays.
 */
function merge(cache: TopCache, values: StoredValues): void {
  const nt = cache.touched.size;
  if (tIds.length < nt) {
    tIds = new Float64Array(nt * 2);
    tVals = new Float64Array(nt * 2);
    tOrder = new Int32Array(nt * 2);
  }
  if (++stamp === 0x7fffffff) {
    marks.fill(0);
    stamp = 1;
  }
  let x = 0;
  let sparse = false;
  for (const id of cache.touched) {
    const v = values.get(id)!;
    // a NaN value has no place in a total order: the comparator sort's order is the reference for it
    if (Number.isNaN(v)) return mergeSorted(cache, values);
    tIds[x] = id;
    tVals[x++] = v;
    if (id >= 0 && id < DENSE_IDS && Number.isInteger(id)) {
      if (id >= marks.length) {
        const grown = new Int32Array(Math.min(DENSE_IDS, Math.max(id + 1, marks.length * 2)));
        grown.set(marks);
        marks = grown;
      }
      marks[id] = stamp;
    } else sparse = true;
  }
  const order = tOrder;
  selectTopInto(tIds, tVals, nt, nt, order);
  const ids = cache.spareIds;
  const vals = cache.spareVals;
  const oldIds = cache.ids, oldVals = cache.vals;
  const touched = cache.touched;
  const m = marks;
  const cur = stamp;
  let p = 0;
  let i = 0;
  let k = 0;
  const n = cache.len;
  while (p < cache.size) {
    for (; i < n; i++) {
      const id = oldIds[i]!;
      const j = id | 0;
      const hit = j === id && j >= 0 && j < m.length ? m[j] === cur : sparse && touched.has(id);
      if (!hit) break;
    }
    if (i < n && (k >= nt || oldVals[i]! > tVals[order[k]!]! || (oldVals[i] === tVals[order[k]!]! && oldIds[i]! < tIds[order[k]!]!))) {
      ids[p] = oldIds[i]!;
      vals[p++] = oldVals[i]!;
      i++;
    } else if (k < nt) {
      ids[p] = tIds[order[k]!]!;
      vals[p++] = tVals[order[k]!]!;
      k++;
    } else break;
  }
  cache.len = p;
  cache.spareIds = oldIds;
  cache.spareVals = oldVals;
  cache.ids = ids;
  cache.vals = vals;
}

let tIds = new Float64Array(256);
let tVals = new Float64Array(256);
let tOrder = new Int32Array(256);
let marks = new Int32Array(1024);
let stamp = 0;

/** `merge` by a comparator sort of [id, value] pairs (the reference; used when a value is NaN). */
function mergeSorted(cache: TopCache, values: StoredValues): void {
  const t = [...cache.touched].map((id): [number, number] => [id, values.get(id)!]).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const ids = cache.spareIds;
  const vals = cache.spareVals;
  let p = 0;
  let i = 0;
  let k = 0;
  const n = cache.len;
  while (p < cache.size) {
    while (i < n && cache.touched.has(cache.ids[i]!)) i++;
    if (i < n && (k >= t.length || cache.vals[i]! > t[k]![1] || (cache.vals[i] === t[k]![1] && cache.ids[i]! < t[k]![0]))) {
      ids[p] = cache.ids[i]!;
      vals[p++] = cache.vals[i]!;
      i++;
    } else if (k < t.length) {
      ids[p] = t[k]![0];
      vals[p++] = t[k]![1];
      k++;
    } else break;
  }
  cache.spareIds = cache.ids;
  cache.spareVals = cache.vals;
  cache.ids = ids;
  cache.vals = vals;
  cache.len = p;
}

/** The best `size` of `ids` by stored value, descending, ties by lower id (a top-k selection, not a full sort). */
function rank(ids: Iterable<number>, values: StoredValues, size: number): number[] {
  let idArr = new Float64Array(256);
  let valArr = new Float64Array(256);
  let n = 0;
  for (const id of ids) {
    if (n === idArr.length) {
      const a = new Float64Array(n * 2);
      a.set(idArr);
      idArr = a;
      const b = new Float64Array(n * 2);
      b.set(valArr);
      valArr = b;
    }
    idArr[n] = id;
    valArr[n] = values.get(id) ?? 0;
    n++;
  }
  return selectTop(idArr, valArr, n, size).map((k) => idArr[k]!);
}

/** Popular/trending in the user's cohort, falling back to the global cohort for small cohorts. */
export class TrendingSource implements CandidateSource {
  readonly name = "trending" as const;
  constructor(private readonly counter: TrendingCounter, private readonly globalCohort = "*") {}

  candidates(req: CandidateRequest, limit: number): Candidate[] {
    const out: Candidate[] = [];
    const two = req.cohort !== this.globalCohort;
    // a cohort's list holds each id once, so only the global list's ids can repeat one taken from the first
    // (the first list's are `out` when the global list is reached)
    let taken: Set<number> | undefined;
    for (let pass = 0; pass < (two ? 2 : 1); pass++) {
      if (pass === 1) {
        taken = new Set<number>();
        for (const c of out) taken.add(c.id);
      }
      const cohort = pass === 0 ? req.cohort : this.globalCohort;
      // over-fetch because seen items are dropped after the ranking
      const want = limit * 2 + 50;
      const top = this.counter.topList(cohort, req.nowMs, want);
      if (top === undefined) continue;
      const values = this.counter.storedValues(cohort);
      const f = this.counter.decayFactor(req.nowMs);
      const n = Math.min(want, top.len);
      const ids = top.ids;
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        if (out.length >= limit) return out;
        if (req.seen(id)) continue;
        if (taken !== undefined) {
          if (taken.has(id)) continue;
          taken.add(id);
        }
        // = counter.score(cohort, id, nowMs)
        out.push({ id, score: f === undefined ? 0 : (values?.get(id) ?? 0) * f, source: this.name });
      }
    }
    return out;
  }
}
