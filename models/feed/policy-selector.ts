import { interleaveFeed } from "../exploration/novelty-injector.ts";
import { FeedPolicy, type PolicyConfig, type PolicyItem } from "../policy/feed-policy.ts";
import type { ScoredCandidate, Selector } from "./feed-pipeline.ts";
import type { SessionModel } from "./session-model.ts";

function toPolicy(c: ScoredCandidate, score: number): PolicyItem {
  return { id: c.id, score, category: c.category, author: c.authorId, vector: c.vector, reason: c.source };
}

/**
 * The node's selector: the policy (seen window, category run, author cap, category share, adjacency) picks
 * the best exploit and explore items, the novelty mask interleaves them, and a last policy pass over the
 * interleaved order (scores = rank) enforces the rules across the two lists.
 */
export function policySelector(
  config: PolicyConfig,
  flagged: { has(id: number): boolean },
  /** Settings the homogenization stabilizer moves at run time. */
  live: () => { maxCategoryRun: number; categoryShareCap: number } = () => config,
): Selector {
  const policy = new FeedPolicy({ ...config });
  return (exploit, explore, count, mask, session: SessionModel) => {
    const l = live();
    policy.config.maxCategoryRun = l.maxCategoryRun;
    policy.config.categoryShareCap = l.categoryShareCap;
    const seen = new Set(session.seen);
    const ctx = { seen, flaggedVideos: flagged };
    const byId = new Map<number, ScoredCandidate>();
    for (const c of exploit) byId.set(c.id, c);
    for (const c of explore) byId.set(c.id, c);
    const pe = policy.rerank(exploit.map((c) => toPolicy(c, c.score)), count, ctx);
    const exploreIds = new Set(explore.map((c) => c.id));
    const px = policy.rerank(explore.map((c) => toPolicy(c, c.score)), count, ctx).filter((p) => !pe.some((e) => e.id === p.id));
    const order = interleaveFeed(mask, count, pe, px);
    // Scores become positions so the final pass keeps the interleaved order wherever the rules allow; the
    // remaining candidates follow at lower priority so the feed can still be filled when a rule bites.
    const inOrder = new Set(order.map((p) => p.id));
    const rest = [...exploit, ...explore].filter((c) => !inOrder.has(c.id)).map((c) => toPolicy(c, c.score));
    rest.sort((a, b) => b.score - a.score || a.id - b.id);
    const ranked = [...order, ...rest].map((p, i, all) => ({ ...p, score: all.length - i }));
    const final = policy.rerank(ranked, count, { seen });
    const exploreChosen = new Set(px.map((p) => p.id));
    return final.map((p) => ({ item: byId.get(p.id)!, exploration: exploreChosen.has(p.id) && exploreIds.has(p.id) }));
  };
}
