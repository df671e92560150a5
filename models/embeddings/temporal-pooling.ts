export type TemporalPooling = "mean" | "max" | "meanmax";

/** Pools per-frame (or per-window) vectors into one; "meanmax" concatenates both (twice the width). */
export function poolFrames(vectors: readonly Float32Array[], mode: TemporalPooling): Float32Array {
  const d = vectors[0]?.length ?? 0;
  const mean = new Float32Array(d);
  const max = new Float32Array(d).fill(-Infinity);
  for (const v of vectors) {
    for (let i = 0; i < d; i++) {
      mean[i]! += v[i]! / vectors.length;
      if (v[i]! > max[i]!) max[i] = v[i]!;
    }
  }
  if (mode === "mean") return mean;
  if (mode === "max") return max;
  const both = new Float32Array(2 * d);
  both.set(mean);
  both.set(max, d);
  return both;
}
