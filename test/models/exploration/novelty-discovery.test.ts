import t from "tap";
import { createRng, interleaveFeed, NoveltyInjector, TasteDiscovery } from "../../../models/index.ts";

t.test("novelty - injection hits the configured rate over many feeds", async (t) => {
  const rng = createRng(11);
  const mask = new Uint8Array(32);
  for (const rate of [0.15, 0.07, 0.4]) {
    const inj = new NoveltyInjector(rate);
    let explore = 0;
    const feeds = 4000, k = 20;
    for (let f = 0; f < feeds; f++) explore += inj.slots(k, rng, mask);
    const share = explore / (feeds * k);
    t.ok(Math.abs(share - rate) < 0.01, `rate ${rate}: observed ${share.toFixed(4)}`);
  }
});

t.test("novelty - the rate is adjustable at run time, clamped, and protected slots stay exploitation", async (t) => {
  const rng = createRng(12);
  const inj = new NoveltyInjector(0.15, 3, 0.05, 0.5);
  t.equal(inj.setRate(0.9), 0.5, "clamped to max");
  t.equal(inj.setRate(0.01), 0.05, "clamped to min");
  inj.setRate(0.5);
  const mask = new Uint8Array(10);
  const perSlot = new Array<number>(10).fill(0);
  let mismatches = 0;
  for (let f = 0; f < 2000; f++) {
    const n = inj.slots(10, rng, mask);
    if (mask.reduce((a, b) => a + b, 0) !== n) mismatches++;
    mask.forEach((m, i) => (perSlot[i]! += m));
  }
  t.equal(mismatches, 0, "the returned count always matches the mask");
  t.same(perSlot.slice(0, 3), [0, 0, 0], "top slots never explore");
  t.ok(perSlot.slice(3).every((c) => c > 500), "other slots all explore sometimes");
});

t.test("novelty - interleaving fills exploration slots from the exploration list and never shortens the feed", async (t) => {
  const mask = Uint8Array.from([0, 1, 0, 0, 1]);
  t.same(interleaveFeed(mask, 5, ["a", "b", "c", "d"], ["X", "Y"]), ["a", "X", "b", "c", "Y"]);
  t.same(interleaveFeed(mask, 5, ["a", "b"], ["X", "Y", "Z"]), ["a", "X", "b", "Y", "Z"], "exploit runs dry: exploration fills in");
  t.same(interleaveFeed(mask, 5, ["a", "b", "c", "d"], []), ["a", "b", "c", "d"], "nothing to explore: exploitation fills in");
});

t.test("taste discovery - converges within a few feeds for a narrow taste while exploration keeps its rate", async (t) => {
  const C = 24, k = 20, TRUE = 7;
  for (const seed of [1, 2, 3]) {
    const rng = createRng(seed);
    // cohort prior: mildly favours other categories, so convergence comes from the user's evidence
    const prior = Array.from({ length: C }, (_, c) => (c === TRUE ? 0.3 : 0.35));
    const td = new TasteDiscovery(C, { priorStrength: 2 }, prior);
    const inj = new NoveltyInjector(0.15);
    const mask = new Uint8Array(k);
    const cats = new Int32Array(k);
    const engage = (c: number) => (rng.next() < (c === TRUE ? 0.8 : 0.05) ? 1 : 0);
    let exploitTrue = 0, exploit = 0, explore = 0, slots = 0;
    for (let feed = 0; feed < 20; feed++) {
      inj.slots(k, rng, mask);
      td.sampleMany(k, rng, cats);
      for (let s = 0; s < k; s++) {
        // exploration slots go to a uniformly random category (not the posterior)
        const c = mask[s] ? rng.int(C) : cats[s]!;
        td.observe(c, engage(c));
        if (feed >= 4) {
          slots++;
          if (mask[s]) explore++;
          else {
            exploit++;
            if (c === TRUE) exploitTrue++;
          }
        }
      }
    }
    t.ok(exploitTrue / exploit > 0.8, `seed ${seed}: after 4 feeds ${(100 * exploitTrue / exploit).toFixed(1)}% of exploitation slots are the true category`);
    t.ok(Math.abs(explore / slots - 0.15) < 0.04, `seed ${seed}: exploration share ${(explore / slots).toFixed(3)} stays near 0.15`);
    t.equal(td.evidence, 20 * k);
    const back = TasteDiscovery.fromState(JSON.parse(JSON.stringify(td.toState())));
    t.equal(back.mean(TRUE), td.mean(TRUE), "state round-trips");
  }
});

t.test("taste discovery - the first feed is broad: no evidence means many categories", async (t) => {
  const td = new TasteDiscovery(24, { priorStrength: 2 });
  const cats = td.sampleMany(20, createRng(5), new Int32Array(20));
  t.ok(new Set(cats).size >= 10, `first feed spans ${new Set(cats).size} categories`);
});
