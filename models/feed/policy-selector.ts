import { interleaveFeed } from "../exploration/novelty-injector.ts";
import { FeedPolicy, type PolicyConfig, type PolicyItem } from "../policy/feed-policy.ts";
import type { ScoredCandidate, Selector } from "./feed-pipeline.ts";
import type { SessionModel } from "./session-model.ts";
import type { IdSet } from "../retrieval/candidate-source.ts";

/** A policy item that remembers the candidate it stands for (so no id -> candidate map is needed). */
interface SelItem extends PolicyItem {
  readonly c: ScoredCandidate;
}

function toPolicy(c: ScoredCandidate): SelItem {
  return { id: c.id, score: c.score, category: c.category, author: c.authorId, vector: c.vector, reason: c.source, c };
}

/** Best first, ties by id: the order the pipeline sorts both lists in. */
function before(a: PolicyItem, b: PolicyItem): boolean {
  const d = b.score - a.score || a.id - b.id;
  return d < 0;
}

/**
 * The node's selector: the policy (seen window, category run, author cap, category share, adjacency) picks
 * the best exploit and explore items, the novelty mask interleaves them, and a last policy pass over the
 * interleaved order (scores = rank) enforces the rules across the two lists.
 *
 * The last pass scans a list that is already in order (the interleaved picks, then every other candidate
 * best first), so it needs neither a sort nor re-scored copies: the two input lists arrive sorted (score
 * descending, id ascending, ids unique), and merging them gives exactly what sorting their union would.
 */
export function policySelector(
  config: PolicyConfig,
  flagged: { has(id: number): boolean },
  /** Settings the homogenization stabilizer moves at run time. */
  live: () => { maxCategoryRun: number; categoryShareCap: number } = () => config,
): Selector {
  const policy = new FeedPolicy({ ...config });
  return (exploit, explore, count, mask, session: SessionModel, seenSet?: IdSet) => {
    const l = live();
    policy.config.maxCategoryRun = l.maxCategoryRun;
    policy.config.categoryShareCap = l.categoryShareCap;
    const seen = seenSet ?? new Set(session.seen);
    const ctx = { seen, flaggedVideos: flagged };
    const ei = exploit.map(toPolicy);
    const xi = explore.map(toPolicy);
    const pe = policy.rerank(ei, count, ctx) as SelItem[];
    const peIds = new Set<number>();
    for (const p of pe) peIds.add(p.id);
    const px = (policy.rerank(xi, count, ctx) as SelItem[]).filter((p) => !peIds.has(p.id));
    const order = interleaveFeed(mask, count, pe, px);
    // The remaining candidates follow at lower priority so the feed can still be filled when a rule bites.
    const inOrder = new Set<number>();
    for (const p of order) inOrder.add(p.id);
    const ranked: SelItem[] = order;
    let i = 0;
    let j = 0;
    while (i < ei.length || j < xi.length) {
      const a = ei[i];
      const b = xi[j];
      const next = b === undefined || (a !== undefined && !before(b, a)) ? (i++, a!) : (j++, b);
      if (!inOrder.has(next.id)) ranked.push(next);
    }
    const final = policy.rerankOrdered(ranked, count, { seen }) as SelItem[];
    const exploreChosen = new Set<number>();
    for (const p of px) exploreChosen.add(p.id);
    return final.map((p) => ({ item: p.c, exploration: exploreChosen.has(p.id) }));
  };
}
