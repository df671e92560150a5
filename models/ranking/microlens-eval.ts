import { join } from "node:path";
import { microlensPairsTsv, microlensTitles } from "../datasets/microlens.ts";
import { InterestSpace, type InterestDims, type InterestOptions } from "../interest/user-interests.ts";
import { dot } from "../interest/projection.ts";
import { createRng } from "../random/rng.ts";
import type { AnnIndex } from "../retrieval/ann-index.ts";
import type { CandidateRequest } from "../retrieval/candidate-source.ts";
import { CoEngagementIndex, CollaborativeSource } from "../retrieval/co-engagement.ts";
import { ContentSource } from "../retrieval/content-source.ts";
import { HashedContentSpace, titleTokens } from "./hashed-content.ts";
import { unit } from "./features.ts";
import { TransitionIndex } from "./transition-index.ts";
import type { TrainProgress } from "./train-ranker.ts";

type Training = typeof import("../training/training.ts");

/** Features of one MicroLens candidate, in order. */
export const MICROLENS_FEATURES = [
  "collab_log_score", "collab_found", "collab_last_item", "cos_short", "cos_long", "cos_last", "content_found",
  "log_popularity", "popular_found", "log_history", "collab_seed_share",
  "trans_log_score", "trans_found", "trans_rank", "trans_last_log_score",
] as const;
const W = MICROLENS_FEATURES.length;

export interface MicroLensEvalOptions {
  /** The microlens/ dataset folder. */
  dir: string;
  dims: InterestDims;
  interest: InterestOptions;
  /** Users evaluated (seeded sample; all when >= the user count) and users whose second-to-last item trains the ranker. */
  evalUsers: number;
  trainUsers: number;
  candidates: number;
  hidden: readonly number[];
  epochs: number;
  seed: number;
  /** Builds the content ANN index (HNSW in production, brute force in tests). */
  createIndex: (dim: number, capacity: number) => AnnIndex;
  onProgress?: (p: TrainProgress) => void;
}

export interface HitMetrics {
  hr10: number;
  ndcg10: number;
  users: number;
}

export interface MicroLensEvalResult {
  model: HitMetrics;
  popularity: HitMetrics;
  /** Candidates in retrieval order (transitions, collaborative, content, popular), no ranker. */
  retrievalOnly: HitMetrics;
  /** Share of test items the candidate generator found at all. */
  recall: number;
  trainExamples: number;
}

/**
 * MicroLens-50K leave-one-out, retrieval + ranking end to end: each user's last item is the test item,
 * everything before it is history (masked from the candidates). Retrieval = directed item-to-item transitions
 * from the last items (half the candidates: what followed them in other users' sequences, transition-index.ts)
 * + item-item co-engagement from the recent items + content ANN from the user's interest queries + popular
 * items; the ranker (the shared-bottom
 * network with one head, since MicroLens has no watch time) is trained on the second-to-last items of other
 * users with the same pipeline and scores the candidates. HR@10 / NDCG@10 over sampled users.
 */
export async function evaluateMicroLens(o: MicroLensEvalOptions, T: Training): Promise<MicroLensEvalResult> {
  const progress = o.onProgress ?? (() => {});
  const seqs = new Map<number, number[]>();
  for await (const it of microlensPairsTsv(join(o.dir, "MicroLens-50k_pairs.tsv"))) {
    let s = seqs.get(it.userId);
    if (s === undefined) seqs.set(it.userId, (s = []));
    s.push(it.videoId);
  }
  const space = new HashedContentSpace(o.dims.content, 3);
  const content = new Map<number, Float32Array>();
  for await (const v of microlensTitles(join(o.dir, "MicroLens-50k_titles.csv"))) content.set(v.videoId, space.vector(titleTokens(v.title ?? "")));
  const vec = (id: number) => {
    let v = content.get(id);
    if (v === undefined) content.set(id, (v = space.vector([{ token: `item:${id}`, weight: 1 }])));
    return v;
  };

  // everything but each user's test item is visible: co-engagement, popularity and the index
  const coeng = new CoEngagementIndex({ window: 3, maxNeighbors: 100 });
  // directed next-item transitions (a candidate source of the eval's own: what followed the user's last items)
  const trans = new TransitionIndex({ window: 5, decay: 0.6, backward: 0.3, maxNeighbors: 200 });
  const pop = new Map<number, number>();
  for (const s of seqs.values()) {
    const hist = s.slice(0, -1);
    coeng.addSequence(hist);
    trans.addSequence(hist);
    for (const i of hist) pop.set(i, (pop.get(i) ?? 0) + 1);
  }
  const popular = [...pop].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);
  const index = o.createIndex(o.dims.content, content.size + 16);
  for (const [id, v] of content) index.add(id, v);
  const collab = new CollaborativeSource(coeng, 20, 0.8);
  const lastOnly = new CollaborativeSource(coeng, 1, 1);
  const contentSrc = new ContentSource(index);
  const interests = new InterestSpace(o.dims, o.interest);
  const shortSpace = interests.short;

  const candidatesOf = (hist: readonly number[]) => {
    const seen = new Set(hist);
    const ui = interests.create();
    hist.forEach((id, t) => ui.observe({ timeMs: t * 3_600_000, content: vec(id), categories: [], watchRatio: null, skipFast: false }));
    const recent = [...hist].reverse();
    const req: CandidateRequest = { cohort: "*", nowMs: hist.length, interests: ui.queries(), recent, seen: (id) => seen.has(id), seenCategories: new Set() };
    const nTrans = Math.round(o.candidates * 0.5);
    const nCollab = Math.round(o.candidates * 0.3);
    const nContent = Math.round(o.candidates * 0.1);
    const exclude = (id: number) => seen.has(id);
    const fromTrans = trans.query({ recent, seeds: 5, recency: 0.6, alpha: 0.5, exclude }, nTrans);
    const transLast = new Map(trans.query({ recent, seeds: 1, recency: 1, alpha: 0.5, exclude }, 200).map((c) => [c.id, c.score]));
    const fromCollab = collab.candidates(req, nCollab);
    const fromLast = new Map(lastOnly.candidates(req, 100).map((c) => [c.id, c.score]));
    const fromContent = contentSrc.candidates(req, nContent);
    const list: number[] = [];
    const found = new Map<number, { collab: number; content: number; popular: number; trans: number; transRank: number }>();
    const add = (id: number, k: "collab" | "content" | "popular" | "trans", s: number) => {
      let f = found.get(id);
      if (f === undefined) {
        found.set(id, (f = { collab: 0, content: 0, popular: 0, trans: 0, transRank: 0 }));
        list.push(id);
      }
      f[k] = Math.max(f[k], s);
    };
    fromTrans.forEach((c, r) => {
      add(c.id, "trans", c.score);
      found.get(c.id)!.transRank = 1 / (1 + r);
    });
    for (const c of fromCollab) add(c.id, "collab", c.score);
    for (const c of fromContent) add(c.id, "content", 1);
    for (let i = 0, k = 0; i < popular.length && list.length < o.candidates && k < o.candidates; i++) {
      const id = popular[i]!;
      if (!seen.has(id)) {
        add(id, "popular", 1);
        k++;
      }
    }
    const shortQ = unit(shortSpace.back(ui.short));
    const longQ = unit(ui.long.query);
    const lastV = vec(hist[hist.length - 1]!);
    const x = new Float32Array(list.length * W);
    list.forEach((id, r) => {
      const f = found.get(id)!;
      const v = vec(id);
      const o2 = r * W;
      x[o2] = Math.log1p(100 * f.collab);
      x[o2 + 1] = f.collab > 0 ? 1 : 0;
      x[o2 + 2] = Math.log1p(100 * (fromLast.get(id) ?? 0));
      x[o2 + 3] = dot(shortQ, v);
      x[o2 + 4] = dot(longQ, v);
      x[o2 + 5] = dot(lastV, v);
      x[o2 + 6] = f.content;
      x[o2 + 7] = Math.log1p(pop.get(id) ?? 0) / 5;
      x[o2 + 8] = f.popular;
      x[o2 + 9] = Math.log1p(hist.length) / 5;
      x[o2 + 10] = f.collab > 0 ? Math.min(1, f.collab) : 0;
      x[o2 + 11] = Math.log1p(10 * f.trans);
      x[o2 + 12] = f.trans > 0 ? 1 : 0;
      x[o2 + 13] = f.transRank;
      x[o2 + 14] = Math.log1p(10 * (transLast.get(id) ?? 0));
    });
    return { list, x };
  };

  const rng = createRng(o.seed);
  const users = [...seqs.keys()].sort((a, b) => a - b);
  for (let i = users.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [users[i], users[j]] = [users[j]!, users[i]!];
  }
  const evalUsers = users.slice(0, Math.min(o.evalUsers, users.length));
  const trainUsers = users.slice(evalUsers.length, evalUsers.length + o.trainUsers);

  // training rows: the second-to-last item of other users, same candidate pipeline
  const xs: Float32Array[] = [];
  const ys: number[] = [];
  trainUsers.forEach((u, k) => {
    const s = seqs.get(u)!;
    if (s.length < 3) return;
    const target = s[s.length - 2]!;
    const { list, x } = candidatesOf(s.slice(0, -2));
    if (!list.includes(target)) return;
    xs.push(x);
    for (const id of list) ys.push(id === target ? 1 : 0);
    if (k % 500 === 0) progress({ phase: "microlens train rows", done: k, total: trainUsers.length });
  });
  const X = new Float32Array(ys.length * W);
  let off = 0;
  for (const x of xs) {
    X.set(x, off);
    off += x.length;
  }
  const model = T.buildRankerNetwork({ width: W, hidden: o.hidden, tower: 16, heads: ["next"], seed: o.seed });
  await T.fitArrays(model, X, W, [Float32Array.from(ys)], {
    epochs: o.epochs, batchSize: 1024, learningRate: 0.003, seed: o.seed, loss: "binaryCrossentropy",
    onBatch: (p) => progress({ phase: "microlens train ranker", done: p.epoch * p.batches + p.batch + 1, total: o.epochs * p.batches }),
  });

  const acc = { model: { hr: 0, nd: 0 }, pop: { hr: 0, nd: 0 }, ret: { hr: 0, nd: 0 } };
  let recall = 0;
  const hit = (a: { hr: number; nd: number }, ranked: readonly number[], target: number) => {
    const r = ranked.slice(0, 10).indexOf(target);
    if (r >= 0) {
      a.hr++;
      a.nd += 1 / Math.log2(r + 2);
    }
  };
  evalUsers.forEach((u, k) => {
    const s = seqs.get(u)!;
    const target = s[s.length - 1]!;
    const hist = s.slice(0, -1);
    const { list, x } = candidatesOf(hist);
    if (list.includes(target)) recall++;
    const [p] = T.predictArrays(model, x, W);
    const order = list.map((id, i) => ({ id, s: p![i]! })).sort((a, b) => b.s - a.s || a.id - b.id).map((e) => e.id);
    hit(acc.model, order, target);
    hit(acc.ret, list, target);
    const seen = new Set(hist);
    hit(acc.pop, popular.filter((id) => !seen.has(id)).slice(0, 10), target);
    if (k % 500 === 0) progress({ phase: "microlens evaluate", done: k, total: evalUsers.length });
  });
  model.dispose();
  const n = evalUsers.length;
  const m = (a: { hr: number; nd: number }): HitMetrics => ({ hr10: a.hr / n, ndcg10: a.nd / n, users: n });
  return { model: m(acc.model), popularity: m(acc.pop), retrievalOnly: m(acc.ret), recall: recall / n, trainExamples: ys.length };
}
