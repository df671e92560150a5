/** One benchmark figure, printed as a JSON line; comparable between runs of the same suite. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The same workload on a reference (e.g. raw NATS, nact), measured in the same run. */
  baseline?: number;
  /** value / baseline (or baseline / value for lower-is-better units; the suite says which). */
  ratio?: number;
  /** The workload's parameters. */
  config: Record<string, unknown>;
  /** Filled in by the runner. */
  commit?: string;
}

export type Emit = (row: BenchRow) => void;

/** Runs `fn` repeatedly for at least `minMs` and returns operations per second (`ops` per call). */
export async function opsPerSec(fn: () => unknown | Promise<unknown>, ops: number, minMs = 1000): Promise<number> {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    await fn();
    calls++;
    t = performance.now();
  }
  return (calls * ops) / ((t - t0) / 1000);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
