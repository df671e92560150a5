import t from "tap";
import { createRng, featureLayout, fatigueOf, SessionState, writeFeatureBatch, writeFeatures, type ItemView, type UserView } from "../../../models/index.ts";

t.test("writeFeatureBatch writes exactly what writeFeatures writes row by row (the serving fast path)", (t) => {
  const layout = featureLayout({ content: 12, short: 4, mid: 5, long: 6 });
  const rng = createRng(11);
  const vec = (k: number) => Array.from({ length: k }, () => rng.normal());
  const user: UserView = {
    short: vec(4), mid: Float32Array.from(vec(5)), longNormalized: vec(6), long: { affinityOf: (c) => (c === undefined ? 0 : c / 10) },
    shortQuery: vec(12), midQuery: Float32Array.from(vec(12)), longQuery: vec(12), rates: vec(6), count: 7,
  };
  const items: ItemView[] = Array.from({ length: 9 }, (_, i) => ({
    id: i, content: i % 2 ? vec(12) : Float32Array.from(vec(12)), category: i % 4 === 3 ? undefined : i % 3,
    durationMs: i === 5 ? undefined : 5000 * (i + 1), rates: vec(6), count: i * 3, ageMs: i * 1_000_000,
  }));
  const session = new SessionState();
  for (let k = 0; k < 7; k++) session.observe(k * 1000, k % 3);
  const ctx = { nowMs: 9000, hour: 13.5, sessionDepth: 7, sinceLastMs: 2500 };
  const ref = new Float32Array(items.length * layout.width);
  items.forEach((it, i) => writeFeatures(ref, i, layout, user, it, { ...ctx, fatigue: fatigueOf(session, it.category), repeatShare: session.repeatShare(it.category) }));
  const out = new Float32Array(items.length * layout.width).fill(Number.NaN);
  writeFeatureBatch(out, layout, user, items, ctx, items.map((it) => fatigueOf(session, it.category)), items.map((it) => session.repeatShare(it.category)));
  let max = 0;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(out[i]! - ref[i]!));
  t.equal(max, 0, "bit-identical rows");
  t.notOk(out.some((v) => Number.isNaN(v)), "every slot written");
  t.end();
});
