import t from "tap";
import { deriveLabels } from "../../../models/index.ts";
import { RULES } from "../../helpers/datasets.ts";

t.test("labels - KuaiRand definitions on short and long videos", async (t) => {
  // 5 s video: valid_play and long_view both need the whole video.
  t.match(deriveLabels(5_000, 5_000, RULES), { watchRatio: 1, complete: true, validPlay: true, longView: true, skipFast: false, rewatch: false });
  t.match(deriveLabels(4_999, 5_000, RULES), { complete: false, validPlay: false, longView: false });
  // 12 s video: valid_play needs > 7 s, long_view the whole 12 s.
  t.match(deriveLabels(7_001, 12_000, RULES), { validPlay: true, longView: false, complete: false });
  t.match(deriveLabels(7_000, 12_000, RULES), { validPlay: false });
  // 60 s video: long_view from 18 s.
  t.match(deriveLabels(18_000, 60_000, RULES), { longView: true, validPlay: true, watchRatio: 0.3 });
  t.match(deriveLabels(17_999, 60_000, RULES), { longView: false });
});

t.test("labels - skip_fast and rewatch thresholds come from the rules", async (t) => {
  t.equal(deriveLabels(2_999, 60_000, RULES).skipFast, true);
  t.equal(deriveLabels(3_000, 60_000, RULES).skipFast, false);
  t.equal(deriveLabels(20_000, 10_000, RULES).rewatch, true);
  t.equal(deriveLabels(19_999, 10_000, RULES).rewatch, false);
  t.equal(deriveLabels(15_000, 10_000, { ...RULES, rewatchRatio: 1.5 }).rewatch, true);
});

t.test("labels - duration 0 or unknown gives no ratio and uses the long-video branches", async (t) => {
  for (const d of [0, undefined]) {
    const l = deriveLabels(8_000, d, RULES);
    t.same(l, { watchRatio: null, complete: null, validPlay: true, longView: false, skipFast: false, rewatch: null }, `duration ${d}`);
  }
  t.equal(deriveLabels(20_000, 0, RULES).longView, true);
});
