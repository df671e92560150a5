import { InvalidArgumentError, ModelError } from "../../protocols/index.ts";
import type { Feeds } from "../inference/inference-session.ts";
import type { ModelService } from "../inference/model-service.ts";

/** ONNX names of the mid-term encoder: `seq` [batch, N, contentDim + 2] -> `mid` [batch, dM], `query` [batch, contentDim]. */
export const MID_IO = { input: "seq", mid: "mid", query: "query" } as const;

/** Width of one GRU step: the item's content vector, then the engagement and the fast-skip flag. */
export function midStepDim(contentDim: number): number {
  return contentDim + 2;
}

/** One past engagement as the GRU reads it. */
export interface EngagementStep {
  content: ArrayLike<number>;
  engagement: number;
  skipFast: boolean;
}

/** The last N engagements of a user, oldest first (a ring buffer). */
export class EngagementHistory {
  private readonly steps: (EngagementStep | undefined)[];
  private head = 0;
  count = 0;

  constructor(readonly capacity: number) {
    this.steps = new Array(capacity);
  }

  push(step: EngagementStep): void {
    this.steps[this.head] = step;
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.capacity, this.count + 1);
  }

  /** Oldest first. */
  *[Symbol.iterator](): IterableIterator<EngagementStep> {
    for (let i = 0; i < this.count; i++) yield this.steps[(this.head - this.count + i + this.capacity) % this.capacity]!;
  }
}

/**
 * Writes one sequence into `out` at row `row`, left-padded with zero steps so the most recent engagement is
 * always the last step (the encoder was trained that way).
 */
export function writeSequence(out: Float32Array, row: number, seqLen: number, contentDim: number, steps: Iterable<EngagementStep>): void {
  const w = midStepDim(contentDim);
  const list = [...steps].slice(-seqLen);
  const base = row * seqLen * w;
  out.fill(0, base, base + seqLen * w);
  let t = seqLen - list.length;
  for (const s of list) {
    const o = base + t * w;
    for (let i = 0; i < contentDim; i++) out[o + i] = s.content[i]!;
    out[o + contentDim] = s.engagement;
    out[o + contentDim + 1] = s.skipFast ? 1 : 0;
    t++;
  }
}

/**
 * Mid-term interest: a GRU over the last N engagements, run in ONNX through a ModelService, so concurrent
 * sessions asking in the same tick share one batched run. Returns the hidden state (the ranker's
 * mid-term block) and its projection into content space (the mid-term retrieval query).
 */
export class MidTermEncoder {
  constructor(private readonly service: ModelService, readonly seqLen: number, readonly contentDim: number, readonly dim: number) {}

  get version(): string | undefined {
    return this.service.version;
  }

  async encode(histories: readonly Iterable<EngagementStep>[]): Promise<{ mid: Float32Array[]; query: Float32Array[] }> {
    if (histories.length === 0) return { mid: [], query: [] };
    const w = midStepDim(this.contentDim);
    const data = new Float32Array(histories.length * this.seqLen * w);
    histories.forEach((h, r) => writeSequence(data, r, this.seqLen, this.contentDim, h));
    const { mid, query } = await this.encodeRaw(data, histories.length);
    const rows = (t: Float32Array, d: number) => Array.from({ length: histories.length }, (_, r) => t.slice(r * d, (r + 1) * d));
    return { mid: rows(mid, this.dim), query: rows(query, this.contentDim) };
  }

  /** `data` holds `rows` sequences laid out by `writeSequence`. */
  async encodeRaw(data: Float32Array, rows: number): Promise<{ mid: Float32Array; query: Float32Array }> {
    const w = midStepDim(this.contentDim);
    if (data.length !== rows * this.seqLen * w) throw new InvalidArgumentError("seq", `expected ${rows}x${this.seqLen}x${w} values`, data.length);
    const feeds: Feeds = { [MID_IO.input]: { data, dims: [rows, this.seqLen, w] } };
    const { outputs } = await this.service.infer(feeds);
    const mid = outputs[MID_IO.mid]?.data;
    const query = outputs[MID_IO.query]?.data;
    if (!(mid instanceof Float32Array) || !(query instanceof Float32Array)) throw new ModelError(this.service.name, "run", "mid-term encoder must output float32 mid and query");
    return { mid, query };
  }
}
