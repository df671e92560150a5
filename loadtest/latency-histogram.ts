import * as hdr from "hdr-histogram-js";

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** An HDR histogram of latencies, recorded in microseconds (1 µs .. 10 min, 3 significant digits). */
export class LatencyHistogram {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

  recordMs(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  summary(): LatencySummary {
    const at = (p: number): number => (this.h.totalCount === 0 ? 0 : Math.round(this.h.getValueAtPercentile(p)) / 1000);
    return {
      count: this.h.totalCount,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: this.h.totalCount === 0 ? 0 : this.h.maxValue / 1000,
      mean: this.h.totalCount === 0 ? 0 : Math.round(this.h.mean) / 1000,
    };
  }
}
