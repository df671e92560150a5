import t from "tap";
import { createRng, gini } from "../../models/index.ts";
import { barChart, estimate, flattenOverrides, lineChart, pairedDiff, parseExperiment, tCdf, tQuantile, toCsv } from "../../loadtest/index.ts";
import { sparseGini } from "../../models/index.ts";
import { niceTicks } from "../../loadtest/research/svg-chart.ts";
import { meanJaccard } from "../../loadtest/research/research-recorder.ts";

t.test("stats - t quantiles match the tables", (t) => {
  for (const [df, q] of [[1, 12.706], [4, 2.776], [9, 2.262], [30, 2.042], [1000, 1.962]] as const) {
    t.ok(Math.abs(tQuantile(0.975, df) - q) < 2e-3, `t(0.975, ${df}) = ${tQuantile(0.975, df).toFixed(4)} ~ ${q}`);
  }
  t.ok(Math.abs(tCdf(0, 5) - 0.5) < 1e-12);
  t.ok(Math.abs(tCdf(2, 7) + tCdf(-2, 7) - 1) < 1e-12, "symmetric");
  t.end();
});

t.test("stats - estimates and paired differences", (t) => {
  const e = estimate([1, 2, 3, 4, 5], 0.95);
  t.equal(e.mean, 3);
  t.ok(Math.abs(e.high - e.low - 2 * 2.776 * Math.sqrt(2.5 / 5)) < 1e-2, "t interval width");
  t.same(estimate([7], 0.95), { n: 1, mean: 7, sd: 0, low: 7, high: 7 }, "one value: zero width");
  const base = [0.5, 0.6, 0.55, 0.52, 0.58];
  const arm = base.map((x, i) => x + 0.1 + (i % 2 === 0 ? 0.01 : -0.01));
  const d = pairedDiff(base, arm, 0.95, 2000, 7);
  t.ok(Math.abs(d.meanDiff - 0.102) < 1e-9, "mean paired difference");
  t.ok(d.low > 0.08 && d.high < 0.12 && d.p < 0.001, `paired interval excludes 0 although the arms overlap (p=${d.p})`);
  t.ok(d.bootLow <= d.meanDiff && d.bootHigh >= d.meanDiff, "bootstrap interval around the mean");
  t.same(pairedDiff(base, arm, 0.95, 2000, 7), d, "seeded bootstrap repeats");
  t.throws(() => pairedDiff([1, 2], [1], 0.95, 100), /2 baseline values vs 1/);
  t.equal(pairedDiff(base, base, 0.95, 100).p, 1, "identical arms: p = 1");
  t.end();
});

t.test("experiment - files are checked with the field named", (t) => {
  t.throws(() => parseExperiment({ arms: [{ name: "a", overrides: {} }] }, "x.json"), /x.json: needs at least two arms/);
  t.throws(() => parseExperiment({ arms: [{ name: "a" }, { name: "a" }] }), /unique/);
  t.throws(() => parseExperiment({ arms: { a: {}, b: {} }, baseline: "c" }), /baseline "c" is not an arm/);
  t.throws(() => parseExperiment({ arms: { a: {}, b: {} }, seeds: 3 }), /unknown key "seeds"/);
  t.throws(() => parseExperiment({ arms: [{ name: "a", overrides: 3 }, { name: "b" }] }), /arms\[0\].overrides must be an object/);
  const spec = parseExperiment({ name: "n", arms: { a: { "exploration.noveltyRate": 0 }, b: {} }, replicates: 3 });
  t.same(spec.arms.map((a) => a.name), ["a", "b"]);
  t.equal(spec.baseline, "a");
  t.same(flattenOverrides({ homogenization: { enabled: false }, "policy.authorCap": 3, feed: { viral: { stageBudgets: [1, 2] } } }), {
    "homogenization.enabled": false, "policy.authorCap": 3, "feed.viral.stageBudgets": [1, 2],
  });
  t.end();
});

t.test("research - sparse Gini equals the dense one; CSV quoting; charts escape text", (t) => {
  const dense = [0, 0, 3, 1, 0, 7, 2, 0, 0, 1];
  t.ok(Math.abs(sparseGini(dense.filter((x) => x > 0), dense.length) - gini(dense)) < 1e-12);
  t.equal(sparseGini([], 10), 0);
  t.equal(toCsv([{ a: 1, b: "x,y", c: [1, 2] }, { a: 2, b: 'q"t' }]), 'a,b,c_0,c_1\n1,"x,y",1,2\n2,"q""t",,\n');
  const ticks = niceTicks(0.13, 0.87, 5);
  t.ok(ticks[0]! <= 0.13 && ticks[ticks.length - 1]! >= 0.87 && ticks.length <= 8, `ticks ${ticks.join(" ")}`);
  const svg = lineChart({ id: "x", title: "a<b & c", xLabel: "t", yLabel: "y", series: [{ name: "s", points: [[0, 1], [1, 2]], band: [[0, 0.5, 1.5], [1, 1.5, 2.5]] }] });
  t.match(svg, /a&lt;b &amp; c/);
  t.match(svg, /class="series"/);
  t.match(svg, /class="band"/);
  t.match(lineChart({ id: "e", title: "e", xLabel: "", yLabel: "", series: [] }), /no data/);
  t.equal((barChart({ id: "b", title: "b", yLabel: "", categories: ["p", "q"], series: [{ name: "s", values: [1, -2], errors: [[0.5, 1.5], [-3, -1]] }] }).match(/class="bar"/g) ?? []).length, 2);
  t.end();
});

t.test("stats - meanJaccard is the mean over every pair of the nested loop's Jaccard similarity, the same double", (t) => {
  const rng = createRng(5);
  const naive = (sets: number[][]): number => {
    let jac = 0, pairs = 0;
    for (let a = 0; a < sets.length; a++) {
      for (let b = a + 1; b < sets.length; b++) {
        const x = new Set(sets[a]), y = new Set(sets[b]);
        let inter = 0;
        for (const v of x) if (y.has(v)) inter++;
        const union = x.size + y.size - inter;
        jac += union > 0 ? inter / union : 0;
        pairs++;
      }
    }
    return pairs === 0 ? 0 : jac / pairs;
  };
  for (const k of [0, 1, 2, 7, 60, 200]) {
    for (const ids of [5, 40, 2000]) {
      const sets = Array.from({ length: k }, () => [...new Set(Array.from({ length: rng.int(31) }, () => rng.int(ids)))]);
      t.equal(meanJaccard(sets), naive(sets), `${k} sets of ids below ${ids}`);
    }
  }
  t.equal(meanJaccard([[1, 2], [1, 2]]), 1);
  t.equal(meanJaccard([[1], [2], []]), 0);
  t.end();
});
