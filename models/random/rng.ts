import { hash32 } from "../../protocols/index.ts";

/** A seeded pseudo-random stream (sfc32). Same seed, same sequence, on every platform. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** An independent stream derived from this stream's seed and a label (does not consume from this one). */
  fork(label: string | number): Rng;
  readonly seed: number;
}

function mix(a: number, b: number): number {
  // splitmix-style finalizer over two 32-bit words
  let h = Math.imul(a ^ (b + 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  const s0 = seed >>> 0;
  let a = mix(s0, 1), b = mix(s0, 2), c = mix(s0, 3), d = 1;
  const next = (): number => {
    // sfc32
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    seed: s0,
    next,
    int: (n) => Math.floor(next() * n),
    normal() {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    exponential: (mean) => -Math.log(1 - next()) * mean,
    fork: (label) => createRng(mix(s0, typeof label === "number" ? label >>> 0 : hash32(label))),
  };
}

/**
 * A uniform number in [0, 1) that is a pure function of (seed, key, counter, lane): lets an actor draw
 * reproducible randomness without keeping a generator in its (persisted) state.
 */
export function uniformAt(seed: number, key: string, counter: number, lane = 0): number {
  let h = mix(mix(seed >>> 0, hash32(key)), counter >>> 0);
  h = mix(h, lane >>> 0);
  return h / 4294967296;
}
