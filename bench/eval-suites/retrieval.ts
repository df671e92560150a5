import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../configs/index.ts";
import {
  CoEngagementIndex, CollaborativeSource, ContentModelEncoder, HnswIndex, MemoryCatalog, createRng, importDataset, latestContentModel, loadTraining,
  mergeCandidates, openDataset, openOnnxSession, type Candidate, type Catalog, type DatasetName, type Interaction, type Rng,
} from "../../models/index.ts";
import { round, type Emit } from "../row.ts";

/**
 * `npm run --silent eval -- retrieval`: candidate retrieval on real data, every source and the merged set
 * next to random, popularity and item-kNN baselines in the same run (ratio = value / popularity).
 * - MicroLens-50K leave-one-out: each user's last item is the test item, ranked against all items, history masked.
 * - KuaiRand time split: history up to embeddings.content.trainEnd, positives = long views on the test days.
 * Content vectors come from the latest `fyp train content` model, which never saw either test set.
 */
const REPO = fileURLToPath(new URL("../..", import.meta.url));

interface Case {
  user: number;
  /** Engaged history, oldest first. */
  history: number[];
  seen: Set<number>;
  positives: Set<number>;
}

type Ranker = (c: Case, k: number) => number[];

async function load(name: DatasetName, config: ReturnType<typeof loadConfig>): Promise<Catalog> {
  const base = isAbsolute(config.datasets.dir) ? config.datasets.dir : join(REPO, config.datasets.dir);
  const cat = new MemoryCatalog(name);
  await importDataset(openDataset(name, join(base, name), { rules: config.datasets.labels }), cat);
  return cat;
}

function sample<T>(xs: T[], n: number, rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

function topK(scores: Map<number, number>, k: number, seen: Set<number>): number[] {
  return [...scores].filter(([id]) => !seen.has(id)).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k).map(([id]) => id);
}

/** Baselines and sources over the training sequences (each user's engaged items, oldest first). */
async function rankers(catalog: Catalog, train: Map<number, number[]>, config: ReturnType<typeof loadConfig>, rng: Rng): Promise<Record<string, Ranker>> {
  const items = [...catalog.videos()].map((v) => v.videoId);
  const pop = new Map<number, number>();
  for (const seq of train.values()) for (const i of seq) pop.set(i, (pop.get(i) ?? 0) + 1);
  const popular = [...pop].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);
  const co = new CoEngagementIndex({ window: config.retrieval.coEngagementWindow, maxNeighbors: 200 });
  // item-kNN: cosine over users of the whole (last 50) history, the classic neighbourhood baseline
  const knn = new CoEngagementIndex({ window: 50, maxNeighbors: 200 });
  for (const seq of train.values()) {
    co.addSequence(seq);
    knn.addSequence(seq.slice(-50));
  }
  const collaborative = new CollaborativeSource(co, config.retrieval.eval.recent);
  const out: Record<string, Ranker> = {
    random: (c, k) => {
      const got: number[] = [];
      const taken = new Set<number>();
      while (got.length < k && taken.size < items.length) {
        const id = items[rng.int(items.length)]!;
        if (taken.has(id)) continue;
        taken.add(id);
        if (!c.seen.has(id)) got.push(id);
      }
      return got;
    },
    popularity: (c, k) => popular.filter((id) => !c.seen.has(id)).slice(0, k),
    itemknn: (c, k) => {
      const s = new Map<number, number>();
      for (const seed of c.history.slice(-50)) for (const [j, w] of knn.neighbors(seed)) s.set(j, (s.get(j) ?? 0) + w);
      return topK(s, k, c.seen);
    },
    collaborative: (c, k) => collaborative.candidates(request(c), k).map((x) => x.id),
  };
  const model = latestContentModel(resolve(REPO, config.embeddings.content.modelsDir));
  if (model === undefined) {
    process.stderr.write("eval retrieval: no trained content model (run fyp train content); content and merged rows skipped\n");
    return out;
  }
  const enc = await ContentModelEncoder.open(model.content, model.card.features, openOnnxSession, { maxBatchRows: 4096, maxQueueRows: 1 << 20, maxConcurrentRuns: 1 });
  const videos = [...catalog.videos()];
  const vecs = new Map<number, Float32Array>();
  for (let s = 0; s < videos.length; s += 2048) {
    const batch = videos.slice(s, s + 2048);
    (await enc.embed(batch.map((video) => ({ dataset: catalog.dataset, video })))).forEach((v, i) => v !== undefined && vecs.set(batch[i]!.videoId, v));
  }
  await enc.close();
  const index = HnswIndex.create(enc.dim, "cosine", { ...config.retrieval.hnsw, capacity: Math.max(16, vecs.size) });
  for (const [id, v] of vecs) index.add(id, v);
  const recent = config.retrieval.eval.recent;
  out["content"] = (c, k) => {
    const q = new Float32Array(enc.dim);
    let n = 0;
    for (const id of c.history.slice(-recent)) {
      const v = vecs.get(id);
      if (v === undefined) continue;
      for (let d = 0; d < q.length; d++) q[d]! += v[d]!;
      n++;
    }
    if (n === 0) return [];
    return index.search(q, k, (id) => !c.seen.has(id)).map((x) => x.id);
  };
  const q = config.retrieval.quotas;
  const content = out["content"];
  const collab = out["collaborative"]!;
  out["merged"] = (c, k) => {
    const as = (ids: number[], source: Candidate["source"]): Candidate[] => ids.map((id, r) => ({ id, score: -r, source }));
    const lists = { content: as(content(c, k), "content"), collaborative: as(collab(c, k), "collaborative"), trending: as(out["popularity"]!(c, k), "trending") };
    return mergeCandidates(lists, { content: q.content, collaborative: q.collaborative, trending: q.trending }, k).map((x) => x.id);
  };
  return out;
}

function request(c: Case) {
  return { cohort: "eval", nowMs: 0, interests: [], recent: [...c.history].reverse(), seen: (id: number) => c.seen.has(id), seenCategories: new Set<number>() };
}

function score(cases: Case[], rank: Ranker, ks: number[]): Record<string, number> {
  const kmax = Math.max(...ks);
  const sums: Record<string, number> = {};
  for (const c of cases) {
    const got = rank(c, kmax);
    for (const k of ks) {
      let hits = 0;
      let dcg = 0;
      got.slice(0, k).forEach((id, r) => {
        if (c.positives.has(id)) {
          hits++;
          dcg += 1 / Math.log2(r + 2);
        }
      });
      let idcg = 0;
      for (let r = 0; r < Math.min(k, c.positives.size); r++) idcg += 1 / Math.log2(r + 2);
      sums[`recall@${k}`] = (sums[`recall@${k}`] ?? 0) + hits / c.positives.size;
      sums[`hr@${k}`] = (sums[`hr@${k}`] ?? 0) + (hits > 0 ? 1 : 0);
      sums[`ndcg@${k}`] = (sums[`ndcg@${k}`] ?? 0) + dcg / idcg;
    }
  }
  return Object.fromEntries(Object.entries(sums).map(([m, s]) => [m, s / Math.max(1, cases.length)]));
}

async function protocol(name: string, catalog: Catalog, train: Map<number, number[]>, cases: Case[], emit: Emit, config: ReturnType<typeof loadConfig>, extra: Record<string, unknown>): Promise<void> {
  const ev = config.retrieval.eval;
  const rng = createRng(ev.seed);
  const rs = await rankers(catalog, train, config, rng);
  const results = Object.fromEntries(Object.entries(rs).map(([src, r]) => [src, score(cases, r, ev.ks)]));
  const base = results["popularity"]!;
  for (const [src, m] of Object.entries(results)) {
    for (const [metric, value] of Object.entries(m)) {
      if (metric.startsWith("hr@") && name !== "microlens") continue; // one positive per case there: hr = recall
      const rowName = src === "merged" ? `retrieval.${name}.${metric}` : `retrieval.${name}.${src}.${metric}`;
      const b = base[metric]!;
      emit({ name: rowName, value: round(value, 4), unit: "ratio", baseline: round(b, 4), ratio: b > 0 ? round(value / b, 2) : 0, config: { source: src, users: cases.length, ...extra } });
    }
  }
}

export async function run(emit: Emit): Promise<void> {
  const config = loadConfig({});
  const ev = config.retrieval.eval;
  const T = await loadTraining();
  // MicroLens leave-one-out
  {
    const cat = await load("microlens", config);
    const seqs = new Map<number, number[]>();
    for (const i of cat.interactions()) {
      let s = seqs.get(i.userId);
      if (s === undefined) seqs.set(i.userId, (s = []));
      s.push(i.videoId);
    }
    const train = new Map<number, number[]>();
    const cases: Case[] = [];
    for (const [u, s] of seqs) {
      train.set(u, s.slice(0, -1));
      if (s.length >= 2) cases.push({ user: u, history: s.slice(0, -1), seen: new Set(s.slice(0, -1)), positives: new Set([s[s.length - 1]!]) });
    }
    const picked = sample(cases, ev.users, createRng(ev.seed)).filter((c) => !c.seen.has([...c.positives][0]!));
    process.stderr.write(`eval retrieval: microlens ${picked.length} users\n`);
    await protocol("microlens", cat, train, picked, emit, config, { protocol: "leave-one-out" });
  }
  // KuaiRand time split
  {
    const cat = await load("kuairand", config);
    const trainEnd = T.dayEndMsUtc8(config.embeddings.content.trainEnd);
    const testEnd = T.dayEndMsUtc8(ev.kuairandTestEnd);
    const train = new Map<number, number[]>();
    const cases: Case[] = [];
    let user: number | undefined;
    let rows: Interaction[] = [];
    const flush = (): void => {
      if (user === undefined) return;
      const before = rows.filter((i) => i.timeMs < trainEnd);
      const hist = before.filter(T.isEngaged).map((i) => i.videoId);
      train.set(user, hist);
      const seen = new Set(before.map((i) => i.videoId));
      const pos = new Set(rows.filter((i) => i.timeMs >= trainEnd && i.timeMs < testEnd && i.labels.longView === true && !seen.has(i.videoId)).map((i) => i.videoId));
      if (hist.length > 0 && pos.size > 0) cases.push({ user, history: hist, seen, positives: pos });
      rows = [];
    };
    for (const i of cat.interactions()) {
      if (i.userId !== user) {
        flush();
        user = i.userId;
      }
      rows.push(i);
    }
    flush();
    const picked = sample(cases, ev.users, createRng(ev.seed + 1));
    process.stderr.write(`eval retrieval: kuairand ${picked.length} users\n`);
    await protocol("kuairand", cat, train, picked, emit, config, { protocol: "time-split", trainEnd: config.embeddings.content.trainEnd, testEnd: ev.kuairandTestEnd, positives: "long_view" });
  }
}
