import t from "tap";
import { ReadModels } from "../../actors/index.ts";

const HALF = 60_000;
const models = () => new ReadModels({ trendingHalfLifeMs: HALF, noveltyRate: 0.15, maxCategoryShare: 0.4, maxCategoryRun: 2, exposurePenalty: 0, exposureHalfLifeMs: HALF });

t.test("read models - relative exposure: a video's decayed impressions over the catalog mean", async (t) => {
  const rm = models();
  t.equal(rm.relativeExposure(1, 100, 0), 0, "nothing served yet");
  // 100 videos; video 1 gets 30 impressions and video 2 gets 10 at t=0: mean 0.4 per video
  for (let i = 0; i < 30; i++) rm.recordExposure(1, 0);
  for (let i = 0; i < 10; i++) rm.recordExposure(2, 0);
  t.ok(Math.abs(rm.relativeExposure(1, 100, 0) - 75) < 1e-9, `video 1 at 75x the mean (${rm.relativeExposure(1, 100, 0)})`);
  t.ok(Math.abs(rm.relativeExposure(2, 100, 0) - 25) < 1e-9, "video 2 at 25x");
  t.equal(rm.relativeExposure(3, 100, 0), 0, "an unserved video at 0");
  // with no new impressions the ratio is stable over time (numerator and mean decay alike)
  t.ok(Math.abs(rm.relativeExposure(1, 100, 5 * HALF) - 75) < 1e-6, "decay cancels out");
  // one half-life later 40 fresh impressions of video 3: old ones count half
  for (let i = 0; i < 40; i++) rm.recordExposure(3, HALF);
  const mean = (15 + 5 + 40) / 100;
  t.ok(Math.abs(rm.relativeExposure(1, 100, HALF) - 15 / mean) < 1e-9, `video 1 decayed to 15 of ${mean} mean`);
  t.ok(Math.abs(rm.relativeExposure(3, 100, HALF) - 40 / mean) < 1e-9, "video 3's fresh impressions");
  t.ok(Math.abs(rm.relativeExposure(3, 200, HALF) - 80 / mean) < 1e-9, "a bigger catalog halves the mean");
});

t.test("read models - a novelty update carries the stabilizer's exposure penalty", async (t) => {
  const rm = models();
  t.equal(rm.exposurePenalty, 0);
  rm.publish({ type: "novelty", rate: 0.3, maxCategoryShare: 0.3, maxCategoryRun: 1, exposurePenalty: 0.25 });
  t.same([rm.noveltyRate, rm.maxCategoryShare, rm.maxCategoryRun, rm.exposurePenalty], [0.3, 0.3, 1, 0.25]);
});
