/**
 * Exposure Gini over per-item impression counts (items never shown count as zeros, so pass the whole
 * catalog): 0 = everyone equally exposed, →1 = one item takes everything. Sorted-rank form, O(n log n).
 */
export function gini(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const x = Float64Array.from(values).sort();
  let sum = 0, weighted = 0;
  for (let i = 0; i < n; i++) {
    sum += x[i]!;
    weighted += (i + 1) * x[i]!;
  }
  return sum > 0 ? (2 * weighted) / (n * sum) - (n + 1) / n : 0;
}

/**
 * Exposure Gini over a catalog of `n` items from the exposed items' counts only (the others are zeros):
 * the sorted-rank form of `gini` above, with the zeros' ranks folded in, O(k log k) for k exposed items.
 */
export function sparseGini(counts: Iterable<number>, n: number): number {
  const x = Float64Array.from(counts).sort();
  return sortedSparseGini(x, x.length, n);
}

/** `sparseGini` of the first `len` entries of `x`, already in ascending order (no copy, no sort). */
export function sortedSparseGini(x: ArrayLike<number>, len: number, n: number): number {
  const steps = sortedSparseGiniSteps(x, len, n, -1);
  let r = steps.next();
  while (r.done !== true) r = steps.next();
  return r.value;
}

/**
 * `sortedSparseGini` as steps, pausing after every entry whose index ends in `stepMask`'s bits (-1: never),
 * for a caller that must not hold the event loop for a whole window; the same sums in the same order.
 */
export function* sortedSparseGiniSteps(x: ArrayLike<number>, len: number, n: number, stepMask: number): Generator<void, number, void> {
  if (n <= 0 || len === 0) return 0;
  const zeros = Math.max(0, n - len);
  // The sums run in a plain function a slice at a time: a loop inside a generator is not optimised (V8
  // does not replace a running generator's frame), and there every double it touched was a new heap
  // number, ~5x slower and a tenth of what a simulation allocated. The same additions in the same order.
  const acc = new Float64Array(2);
  const slice = stepMask >= 0 && ((stepMask + 1) & stepMask) === 0 ? stepMask + 1 : len;
  for (let from = 0; from < len; from += slice) {
    const to = Math.min(len, from + slice);
    giniSums(x, zeros, from, to, acc);
    // a pause after each index ending in stepMask's bits, as before
    if (stepMask >= 0 && to === from + slice) yield;
  }
  const sum = acc[0]!, weighted = acc[1]!;
  const m = zeros + len;
  return sum > 0 ? (2 * weighted) / (m * sum) - (m + 1) / m : 0;
}

/** Adds x[from, to) to `acc[0]` and their rank-weighted values to `acc[1]`, in index order. */
function giniSums(x: ArrayLike<number>, zeros: number, from: number, to: number, acc: Float64Array): void {
  let sum = acc[0]!;
  let weighted = acc[1]!;
  for (let i = from; i < to; i++) {
    sum += x[i]!;
    weighted += (zeros + i + 1) * x[i]!;
  }
  acc[0] = sum;
  acc[1] = weighted;
}

/**
 * The exposure Gini that pure chance leaves when `volume` impressions fall uniformly at random on `n` items
 * (each item's count ~ Poisson(volume / n)): the floor a window's raw Gini cannot go below, high when the
 * window holds few impressions per item (0.46 at 1.3 per item, 0.73 at 0.4). For iid integer counts
 * E|X − Y| = 2 Σ_k F(k)(1 − F(k)), so the Gini is Σ_k F(k)(1 − F(k)) / λ.
 */
export function uniformGiniFloor(volume: number, n: number): number {
  if (!(n > 0) || !(volume > 0)) return 1;
  const lambda = volume / n;
  // past this the normal approximation 1/sqrt(πλ) is exact to < 0.1% (and e^-λ would underflow)
  if (lambda > 500) return 1 / Math.sqrt(Math.PI * lambda);
  const kMax = Math.ceil(lambda + 12 * Math.sqrt(lambda) + 20);
  let p = Math.exp(-lambda);
  let cdf = 0;
  let acc = 0;
  for (let k = 0; k <= kMax; k++) {
    if (k > 0) p *= lambda / k;
    cdf += p;
    acc += cdf * (1 - cdf);
  }
  return Math.min(1, acc / lambda);
}

/**
 * Exposure concentration beyond chance: (G − G₀) / (1 − G₀), G₀ the uniform floor at the same volume; 0 for an
 * allocation as even as random sampling gives, 1 for all impressions on one item. Comparable across windows
 * of different traffic, which the raw Gini is not (a quiet window's raw Gini is high by chance alone).
 */
export function excessGini(gini: number, volume: number, n: number): number {
  const g0 = uniformGiniFloor(volume, n);
  return g0 >= 1 ? 0 : Math.max(0, (gini - g0) / (1 - g0));
}

/**
 * The catalog coverage uniform random exposure reaches with `volume` impressions over `n` items, 1 − e^(−volume/n):
 * the most a window of that volume can cover by chance (9% at 0.1 impressions per item).
 */
export function uniformCoverage(volume: number, n: number): number {
  return n > 0 && volume > 0 ? 1 - Math.exp(-volume / n) : 0;
}

/** Share of the catalog with at least one impression. */
export function catalogCoverage(exposures: ArrayLike<number>, catalogSize = exposures.length): number {
  if (catalogSize <= 0) return 0;
  let shown = 0;
  for (let i = 0; i < exposures.length; i++) if (exposures[i]! > 0) shown++;
  return shown / catalogSize;
}

/** Shannon entropy (bits) of a count or probability vector; `normalized` divides by log2(#categories). */
export function categoryEntropy(counts: ArrayLike<number>, normalized = false): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total <= 0) return 0;
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const p = counts[i]! / total;
    if (p > 0) h -= p * Math.log2(p);
  }
  return normalized ? (counts.length > 1 ? h / Math.log2(counts.length) : 0) : h;
}

/** Intra-list diversity: mean pairwise (1 − cosine) over the vectors of one feed. */
export function intraListDiversity(vectors: readonly ArrayLike<number>[]): number {
  const n = vectors.length;
  if (n < 2) return 0;
  const norms = vectors.map((v) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
    return Math.sqrt(s);
  });
  let total = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const va = vectors[a]!, vb = vectors[b]!;
      let dot = 0;
      for (let i = 0; i < Math.min(va.length, vb.length); i++) dot += va[i]! * vb[i]!;
      const d = norms[a]! * norms[b]!;
      total += 1 - (d > 0 ? dot / d : 0);
    }
  }
  return total / ((n * (n - 1)) / 2);
}

/** Jensen–Shannon divergence (bits, in [0, 1]) between two count or probability vectors of equal length. */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0, sq = 0;
  for (let i = 0; i < p.length; i++) sp += p[i]!;
  for (let i = 0; i < q.length; i++) sq += q[i]!;
  if (sp <= 0 || sq <= 0) return sp === sq ? 0 : 1;
  let js = 0;
  for (let i = 0; i < Math.max(p.length, q.length); i++) {
    const a = (p[i] ?? 0) / sp, b = (q[i] ?? 0) / sq;
    const m = (a + b) / 2;
    // m underflows to 0 for denormal a or b (5e-324 / 2): such a term is 0, not Infinity or NaN
    if (m <= 0) continue;
    if (a > 0) js += 0.5 * a * Math.log2(a / m);
    if (b > 0) js += 0.5 * b * Math.log2(b / m);
  }
  return Math.min(1, Math.max(0, js));
}

/**
 * Filter-bubble index: JS divergence between what the user truly likes (taste over categories) and the
 * categories the feed showed. 0 = the feed mirrors the taste; high values mean the feed narrowed (or drifted)
 * away from it. Known only in simulation, where the true taste is ground truth.
 */
export function filterBubbleIndex(trueTaste: ArrayLike<number>, shownCounts: ArrayLike<number>): number {
  return jensenShannon(trueTaste, shownCounts);
}
