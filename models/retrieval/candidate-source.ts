/** The candidate sources of DESIGN.md §5, in merge priority order. */
export const SOURCES = ["content", "collaborative", "trending", "coldStart", "exploration"] as const;
export type SourceName = (typeof SOURCES)[number];

/** Why an item is in the feed, shown to the user. */
export const REASONS: Record<SourceName, string> = {
  content: "similar to what you watched",
  collaborative: "people who watched this also watched",
  trending: "popular in your cohort",
  coldStart: "new video being tested",
  exploration: "exploring",
};

/** A read-only set of ids (a `ReadonlySet<number>` is one): what sources and indexes read of a seen window. */
export interface IdSet {
  readonly size: number;
  has(id: number): boolean;
  [Symbol.iterator](): Iterator<number>;
}

export interface Candidate {
  id: number;
  /** Source-specific score, comparable only within one source. */
  score: number;
  source: SourceName;
}

/** What a source may look at for one request; vectors are in the content-embedding space. */
export interface CandidateRequest {
  cohort: string;
  nowMs: number;
  /** Interest vectors (short/mid/long term) with weights; empty for a brand-new user. */
  interests: { vector: ArrayLike<number>; weight: number }[];
  /** Recently engaged items, most recent first (seeds for collaborative retrieval). */
  recent: readonly number[];
  /** Items this session must not see again. */
  seen: (id: number) => boolean;
  /** Categories the user has already been shown (exploration looks elsewhere). */
  seenCategories: ReadonlySet<number>;
}

export interface CandidateSource {
  readonly name: SourceName;
  candidates(req: CandidateRequest, limit: number): Candidate[];
}
