import { LongTermInterest } from "./long-term.ts";
import { EngagementHistory, type EngagementStep } from "./mid-term.ts";
import { Projection } from "./projection.ts";
import { engagementOf, updateShortTerm } from "./short-term.ts";

/** Dimensions of the three scales and of the content space they are read from. */
export interface InterestDims {
  content: number;
  short: number;
  mid: number;
  long: number;
}

/** The `interest` config slice. */
export interface InterestOptions {
  shortRate: number;
  midSeqLen: number;
  longHalfLifeMs: number;
  seed: number;
}

/** One watch as the interest model sees it. */
export interface WatchEvent {
  timeMs: number;
  /** L2-normalised content vector of the video. */
  content: ArrayLike<number>;
  /** The video's categories, primary first. */
  categories: readonly number[];
  watchRatio: number | null;
  skipFast: boolean | null;
  complete?: boolean | null;
  like?: boolean;
}

/** Shared, immutable parts (the projections) of every user's interests under one config. */
export class InterestSpace {
  readonly short: Projection;

  constructor(readonly dims: InterestDims, readonly opts: InterestOptions) {
    this.short = new Projection(dims.content, dims.short, opts.seed);
  }

  create(): UserInterests {
    return new UserInterests(this);
  }
}

/**
 * A user at three time scales: short-term EMA (O(d) per event), the engagement history the mid-term GRU
 * reads (its output is set by the caller after a batched `MidTermEncoder.encode`), and long-term decaying
 * category affinity. `queries()` gives retrieval its content-space query vectors.
 */
export class UserInterests {
  readonly short: Float32Array;
  /** Last output of the mid-term encoder (zeros until the first encode). */
  mid: Float32Array;
  /** The mid-term encoder's content-space query (zeros until the first encode). */
  midQuery: Float32Array;
  readonly long: LongTermInterest;
  readonly history: EngagementHistory;
  events = 0;
  lastEventMs: number | undefined;
  private readonly projected: Float32Array;

  constructor(readonly space: InterestSpace) {
    const d = space.dims;
    this.short = new Float32Array(d.short);
    this.mid = new Float32Array(d.mid);
    this.midQuery = new Float32Array(d.content);
    this.long = new LongTermInterest(d.long, d.content, space.opts.longHalfLifeMs);
    this.history = new EngagementHistory(space.opts.midSeqLen);
    this.projected = new Float32Array(d.short);
  }

  /**
   * Folds one watch in. `projected`, when given, is P·content cached per video (then the short-term update
   * is O(d_short)); otherwise it is computed here (O(d_short·d_content)).
   */
  observe(e: WatchEvent, projected?: ArrayLike<number>): EngagementStep {
    const w = engagementOf(e);
    const x = projected ?? this.space.short.project(e.content, this.projected);
    updateShortTerm(this.short, x, this.space.opts.shortRate, w);
    this.long.observe(e.timeMs, e.categories, e.content, w);
    const step: EngagementStep = { content: e.content, engagement: w, skipFast: e.skipFast === true };
    this.history.push(step);
    this.events++;
    this.lastEventMs = e.timeMs;
    return step;
  }

  /** Content-space queries with weights for candidate retrieval (short, mid, long); empty for a new user. */
  queries(weights = { short: 0.4, mid: 0.35, long: 0.25 }): { vector: Float32Array; weight: number }[] {
    if (this.events === 0) return [];
    const out: { vector: Float32Array; weight: number }[] = [];
    const add = (v: Float32Array, weight: number) => {
      let n = 0;
      for (const x of v) n += x * x;
      if (n > 0) out.push({ vector: v.map((x) => x / Math.sqrt(n)), weight });
    };
    add(this.space.short.back(this.short), weights.short);
    add(this.midQuery, weights.mid);
    add(this.long.query, weights.long);
    return out;
  }
}
