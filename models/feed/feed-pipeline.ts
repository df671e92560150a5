import { REASONS, type Candidate, type CandidateRequest, type IdSet, type SourceName } from "../retrieval/candidate-source.ts";
import { SeenMarks } from "./seen-marks.ts";
import type { CandidateGenerator } from "../retrieval/merge-candidates.ts";
import { TasteDiscovery } from "../exploration/taste-discovery.ts";
import type { Uniform } from "../exploration/novelty-injector.ts";
import type { FeedCatalog } from "./feed-catalog.ts";
import { rankRows, seedScore, type ObjectivePredictions, type Ranker } from "./ranker.ts";
import type { RankingWeights } from "../ranking/heads.ts";
import { longTermDistribution, markServed, type SessionModel, type SessionModelParams } from "./session-model.ts";

/** One scored candidate on its way into a feed. */
export interface ScoredCandidate {
  id: number;
  category: number;
  authorId: number;
  vector: Float32Array;
  source: SourceName;
  score: number;
  predictions: ObjectivePredictions;
}

/** One item of a served feed. */
export interface ServedItem {
  videoId: number;
  score: number;
  reason: string;
  source: SourceName;
  exploration: boolean;
  predictions: ObjectivePredictions;
}

/**
 * Picks the final list from the exploit and explore pools under the diversity/loop policy; `mask[i] = 1`
 * marks slot i as exploration.
 */
export type Selector = (
  exploit: ScoredCandidate[],
  explore: ScoredCandidate[],
  count: number,
  mask: Uint8Array,
  session: SessionModel,
  /** `session.seen` as a set, when the caller has one already. */
  seen?: IdSet,
) => { item: ScoredCandidate; exploration: boolean }[];

/** LinUCB-style exploration: a confidence bonus for explore candidates, learnt from their rewards. */
export interface Bandit {
  /** Context features of a candidate (the same vector must be passed back to `update`). */
  features(c: ScoredCandidate): Float64Array;
  /** UCB = mean + alpha·width: the exploration bonus added to an explore candidate's score. */
  bonus(x: Float64Array): number;
  update(x: Float64Array, reward: number): void;
}

export interface FeedPipelineDeps {
  catalog: FeedCatalog;
  generator: CandidateGenerator;
  /** The current ranking model; read per request so a hot swap applies to the next feed. */
  ranker: () => Ranker;
  weights: RankingWeights;
  /** Marks the exploration slots of a feed of `count` (novelty injection at the current rate). */
  explorationMask: (count: number) => Uint8Array;
  /** Integrity: flagged videos get their score multiplied by `demotion`. */
  isFlagged: (videoId: number) => boolean;
  demotion: number;
  /** Candidates retrieved per request. */
  candidates: number;
  session: SessionModelParams;
  select: Selector;
  /** Optional contextual bandit over explore candidates. */
  bandit?: Bandit;
  /** Randomness of the taste-discovery draws (seeded). */
  uniform: Uniform;
  /** Weight of the taste-discovery draw of a candidate's category in exploration scores. */
  discoveryWeight: number;
  /** Added to cold-start candidates' scores among the exploration candidates. */
  coldStartPriority: number;
  /**
   * Until this clock time every feed is drawn uniformly at random from the catalog (unseen videos only): the
   * random-recommendation warm-up of Chaney et al. (RecSys 2018), so the loop starts from unbiased data.
   * 0 = no warm-up.
   */
  warmupUntilMs?: number;
  /**
   * Exposure-aware ranking: the amount taken off a candidate's score for its recent exposure (0 for none);
   * counters rich-get-richer loops, its weight moved by the homogenization stabilizer.
   */
  exposurePenalty?: (videoId: number, nowMs: number) => number;
  /**
   * Pages a session's retrieved candidates serve after the page they were retrieved for (re-ranked, minus
   * what the session has seen since) before it retrieves again; 0 or absent = retrieve for every page.
   * Config `retrieval.reusePages`; changes which candidates a page is ranked from.
   */
  reusePages?: number;
}

/** A session's last retrieval, while it may serve more pages. */
interface Retrieved {
  cands: Candidate[];
  cohort: string;
  /** Pages it may still serve. */
  left: number;
}

const EXPLORE_SOURCES: ReadonlySet<SourceName> = new Set(["exploration", "coldStart"]);

/**
 * The feed pipeline of DESIGN.md §5: candidates from several sources under quotas -> multi-objective
 * ranking -> exploration (novelty slots, bonus) -> policy (selector) -> top-K with reasons.
 * Pure with respect to actors: the session actor passes its state in and persists what changed.
 */
export class FeedPipeline {
  // scratch for the per-category taste draws: filled and read after the ranker returns, with no await between
  private taste = new Float64Array(0);
  // retrievals kept for the next pages of a session (retrieval.reusePages); the model object is the
  // session while it is in memory, so a passivated session simply retrieves afresh
  private readonly retrieved = new WeakMap<SessionModel, Retrieved>();
  // the request's seen-set; filled only around synchronous stretches (other requests run during the await)
  private readonly seenMarks = new SeenMarks();

  constructor(private readonly d: FeedPipelineDeps) {}

  async feed(session: SessionModel, req: { count: number; nowMs: number; cohort: string }): Promise<{ items: ServedItem[]; modelVersion: string }> {
    const d = this.d;
    if (req.nowMs < (d.warmupUntilMs ?? 0)) return this.randomFeed(session, req, new Set(session.seen));
    // Exploration looks outside what the user is known to like: categories already engaged with count as
    // "seen"; merely shown ones do not, so a narrow user keeps being offered the rest of the catalog.
    const seenCategories = new Set<number>();
    session.catEngaged.forEach((n, k) => n > 0 && seenCategories.add(k));
    const seen = this.seenMarks.fill(session.seen);
    let cands: Candidate[];
    try {
      const creq: CandidateRequest = {
        cohort: req.cohort,
        nowMs: req.nowMs,
        interests: session.shortWeight > 0 ? [{ vector: session.short, weight: 1 }] : [],
        recent: session.recent,
        seen: seen.has,
        seenCategories,
      };
      cands = this.candidates(session, creq, req.cohort);
      // the sources leave seen items out already; copy only when one did not
      if (cands.some((c) => seen.has(c.id))) cands = cands.filter((c) => !seen.has(c.id));
    } finally {
      seen.clear();
    }
    const ranker = d.ranker();
    const affinity = longTermDistribution(session);
    if (candIds.length < cands.length) candIds = new Float64Array(cands.length * 2);
    for (let i = 0; i < cands.length; i++) candIds[i] = cands[i]!.id;
    const rows = rankRows(candIds, (id) => d.catalog.get(id), session, affinity, (id) => d.catalog.quality(id), cands.length);
    const preds = await ranker.predict(rows, { session, nowMs: req.nowMs, depth: session.served });
    // rows follow the candidates one to one unless the catalog lacked one of them
    const aligned = rows.length === cands.length;
    const bySource = aligned ? null : new Map(cands.map((c) => [c.id, c.source] as const));
    // Thompson draws per category: explore broadly while evidence is thin, converge as it accumulates
    const taste = TasteDiscovery.drawsFrom(session.discovery, d.uniform, this.taste.length === session.discovery.a.length ? this.taste : (this.taste = new Float64Array(session.discovery.a.length)));
    const exploit: ScoredCandidate[] = [];
    const explore: ScoredCandidate[] = [];
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]!.video;
      const p = preds[i]!;
      let score = seedScore(p, d.weights, session.fatigue);
      if (d.isFlagged(v.id)) score *= score > 0 ? d.demotion : 1 / d.demotion;
      if (d.exposurePenalty !== undefined) score -= d.exposurePenalty(v.id, req.nowMs);
      const source = aligned ? cands[i]!.source : bySource!.get(v.id)!;
      const sc: ScoredCandidate = { id: v.id, category: v.category, authorId: v.authorId, vector: v.vector, source, score, predictions: p };
      if (EXPLORE_SOURCES.has(sc.source)) {
        if (d.bandit !== undefined) sc.score += d.bandit.bonus(d.bandit.features(sc));
        sc.score += d.discoveryWeight * (taste[sc.category] ?? 0);
        // new videos under test must get their exposure budget: they go ahead of plain exploration
        if (sc.source === "coldStart") sc.score += d.coldStartPriority;
        explore.push(sc);
      } else exploit.push(sc);
    }
    sortBestFirst(exploit);
    sortBestFirst(explore);
    const mask = d.explorationMask(req.count);
    let picked: ReturnType<Selector>;
    try {
      picked = d.select(exploit, explore, req.count, mask, session, this.seenMarks.fill(session.seen));
    } finally {
      this.seenMarks.clear();
    }
    session.feeds++;
    const items: ServedItem[] = [];
    for (const { item, exploration } of picked) {
      const video = d.catalog.get(item.id)!;
      markServed(session, d.session, video);
      items.push({
        videoId: item.id,
        score: item.score,
        reason: exploration && item.source !== "coldStart" ? REASONS.exploration : REASONS[item.source],
        source: item.source,
        exploration,
        predictions: item.predictions,
      });
    }
    return { items, modelVersion: ranker.version };
  }

  /** Retrieves, or reuses the session's last retrieval while it has pages left (reusePages). */
  private candidates(session: SessionModel, creq: CandidateRequest, cohort: string): Candidate[] {
    const d = this.d;
    const reuse = d.reusePages ?? 0;
    if (reuse <= 0) return d.generator.generate(creq, d.candidates);
    const r = this.retrieved.get(session);
    if (r !== undefined && r.left > 0 && r.cohort === cohort) {
      r.left--;
      return r.cands;
    }
    const cands = d.generator.generate(creq, d.candidates);
    this.retrieved.set(session, { cands, cohort, left: reuse });
    return cands;
  }

  /** The warm-up feed: `count` distinct unseen videos drawn uniformly, scored by the ranker for the log. */
  private async randomFeed(session: SessionModel, req: { count: number; nowMs: number }, seen: Set<number>): Promise<{ items: ServedItem[]; modelVersion: string }> {
    const d = this.d;
    const n = d.catalog.size;
    const ids: number[] = [];
    const picked = new Set<number>();
    const count = req.count;
    for (let tries = 0; ids.length < count && tries < count * 50; tries++) {
      const id = Math.floor(d.uniform.next() * n);
      if (seen.has(id) || picked.has(id) || d.catalog.get(id) === undefined) continue;
      picked.add(id);
      ids.push(id);
    }
    const ranker = d.ranker();
    const rows = rankRows(ids, (id) => d.catalog.get(id), session, longTermDistribution(session), (id) => d.catalog.quality(id));
    const preds = await ranker.predict(rows, { session, nowMs: req.nowMs, depth: session.served });
    session.feeds++;
    const items: ServedItem[] = rows.map((row, i) => {
      markServed(session, d.session, row.video);
      const p = preds[i]!;
      return { videoId: row.video.id, score: seedScore(p, d.weights, session.fatigue), reason: REASONS.exploration, source: "exploration", exploration: true, predictions: p };
    });
    return { items, modelVersion: ranker.version };
  }
}

/** The candidates' ids handed to rankRows (read before the ranker's await). */
let candIds = new Float64Array(256);
let sortKeys = new Float64Array(256);
let sortIds = new Float64Array(256);
let sortIdx = new Int32Array(256);

/**
 * `list.sort((a, b) => b.score - a.score || a.id - b.id)`: score descending, ties by lower id. Ids are unique
 * within a feed, so without NaN scores this is a strict total order and any correct sort gives the same
 * list; this one sorts positions over typed copies of the keys (no comparator call per comparison). A
 * list with a NaN score goes through the comparator sort, whose order that is.
 */
export function sortBestFirst<T extends { score: number; id: number }>(list: T[]): void {
  const n = list.length;
  if (n < 2) return;
  if (sortKeys.length < n) {
    sortKeys = new Float64Array(n * 2);
    sortIds = new Float64Array(n * 2);
    sortIdx = new Int32Array(n * 2);
  }
  const keys = sortKeys, ids = sortIds, idx = sortIdx;
  for (let i = 0; i < n; i++) {
    const c = list[i]!;
    if (Number.isNaN(c.score)) {
      list.sort((a, b) => b.score - a.score || a.id - b.id);
      return;
    }
    keys[i] = c.score;
    ids[i] = c.id;
    idx[i] = i;
  }
  quickSort(idx, keys, ids, 0, n - 1);
  const copy = list.slice();
  for (let i = 0; i < n; i++) list[i] = copy[idx[i]!]!;
}

/** a goes before b: higher score, or the same score and a lower id. */
function first(keys: Float64Array, ids: Float64Array, a: number, b: number): boolean {
  const ka = keys[a]!, kb = keys[b]!;
  return ka > kb || (ka === kb && ids[a]! < ids[b]!);
}

function quickSort(idx: Int32Array, keys: Float64Array, ids: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    // median of three as the pivot
    const mid = (lo + hi) >> 1;
    if (first(keys, ids, idx[mid]!, idx[lo]!)) swap(idx, mid, lo);
    if (first(keys, ids, idx[hi]!, idx[lo]!)) swap(idx, hi, lo);
    if (first(keys, ids, idx[hi]!, idx[mid]!)) swap(idx, hi, mid);
    const p = idx[mid]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (first(keys, ids, idx[i]!, p)) i++;
      while (first(keys, ids, p, idx[j]!)) j--;
      if (i <= j) swap(idx, i++, j--);
    }
    // recurse into the smaller part, loop on the larger
    if (j - lo < hi - i) {
      quickSort(idx, keys, ids, lo, j);
      lo = i;
    } else {
      quickSort(idx, keys, ids, i, hi);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const x = idx[i]!;
    let j = i - 1;
    while (j >= lo && first(keys, ids, x, idx[j]!)) {
      idx[j + 1] = idx[j]!;
      j--;
    }
    idx[j + 1] = x;
  }
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
