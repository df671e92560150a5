import { createRng, detectFarms, FeedPolicy, gini, LinUcb, NoveltyInjector, SeenWindow, TasteDiscovery, type EngagementEvent, type PolicyItem } from "../../models/index.ts";
import { opsPerSec, round, type Emit } from "../row.ts";

/** `exploration.*`, `policy.*` and `metrics.*`: the per-feed-request model code, one core. */
export async function run(emit: Emit): Promise<void> {
  const rng = createRng(1);
  for (const dim of [8, 32]) {
    const m = new LinUcb(dim, { alpha: 0.5, lambda: 1 });
    const xs = Float64Array.from({ length: 500 * dim }, () => rng.normal());
    let r = 0;
    const config = { dim, arms: 1 };
    const upd = await opsPerSec(() => m.update(xs.subarray((r = (r + 1) % 500) * dim), rng.next()), 1);
    emit({ name: `exploration.linucb.update_per_s`, value: round(upd, 0), unit: "updates/s", config });
    const out = new Float64Array(500);
    const sc = await opsPerSec(() => m.scoreBatch(xs, 500, out), 500);
    emit({ name: `exploration.linucb.score_per_s`, value: round(sc, 0), unit: "scores/s", config });
  }

  const inj = new NoveltyInjector(0.15, 1);
  const mask = new Uint8Array(20);
  emit({ name: "exploration.novelty.feeds_per_s", value: round(await opsPerSec(() => inj.slots(20, rng, mask), 1), 0), unit: "feeds/s", config: { k: 20, rate: 0.15 } });
  const td = new TasteDiscovery(40, { priorStrength: 2 });
  const cats = new Int32Array(20);
  emit({ name: "exploration.discovery.feeds_per_s", value: round(await opsPerSec(() => td.sampleMany(20, rng, cats), 1), 0), unit: "feeds/s", config: { k: 20, categories: 40 } });

  const dim = 32;
  const lists = Array.from({ length: 16 }, () =>
    Array.from({ length: 500 }, (): PolicyItem => ({
      id: rng.int(1_000_000),
      score: rng.normal(),
      category: Math.min(39, Math.floor(rng.exponential(4))),
      author: rng.int(2000),
      vector: Float32Array.from({ length: dim }, () => rng.normal()),
      reason: "similar to what you watched",
    })),
  );
  const policy = new FeedPolicy({ maxCategoryRun: 2, adjacentSimilarityMax: 0.95, authorCap: 2, categoryShareCap: 0.4, integrityDemotion: 0.1 });
  const seen = new SeenWindow(500);
  for (let i = 0; i < 500; i++) seen.add(rng.int(1_000_000));
  const flagged = new Set(Array.from({ length: 1000 }, () => rng.int(1_000_000)));
  let l = 0;
  const rr = await opsPerSec(() => policy.rerank(lists[(l = (l + 1) % lists.length)]!, 20, { seen, flaggedVideos: flagged }), 1);
  emit({ name: "policy.rerank.per_s", value: round(rr, 0), unit: "feeds/s", config: { candidates: 500, k: 20, dim, seenWindow: 500 } });
  let q = 0;
  emit({ name: "policy.seen.ops_per_s", value: round(await opsPerSec(() => { for (let i = 0; i < 1000; i++) { seen.has(q); seen.add(q++); } }, 2000), 0), unit: "ops/s", config: { window: 500 } });

  const events: EngagementEvent[] = [];
  for (let i = 0; i < 100_000; i++) events.push({ session: `u${rng.int(5000)}`, video: Math.floor(20_000 * rng.next() ** 3), t: rng.int(6 * 3_600_000) });
  const t0 = performance.now();
  detectFarms(events, { windowMs: 120_000, minSessions: 5, minSharedVideos: 3, minGroupSize: 5, burstFactor: 5, maxCellSessions: 500 });
  emit({ name: "policy.farm.events_per_s", value: round(events.length / ((performance.now() - t0) / 1000), 0), unit: "events/s", config: { events: events.length, sessions: 5000, videos: 20_000 } });

  const exposures = Float64Array.from({ length: 100_000 }, () => Math.floor(rng.exponential(10)));
  emit({ name: "metrics.gini.per_s", value: round(await opsPerSec(() => gini(exposures), 1, 500), 1), unit: "calls/s", config: { items: exposures.length } });
}
