import t from "tap";
import { ExposureWindow, createRng, sparseGini } from "../../../models/index.ts";

/** Runs stepped work to its end. */
function drain<T>(g: Generator<void, T, void>): T {
  for (;;) {
    const r = g.next();
    if (r.done === true) return r.value;
  }
}

/**
 * The batch computation the window replaces (the homogenization monitor's former code): an id -> count
 * record decayed entry by entry, counts added, then a sorted copy for the Gini and a sum in id order.
 */
class Batch {
  readonly exposure: Record<string, number> = {};
  decay(k: number): void {
    for (const id of Object.keys(this.exposure)) {
      const v = this.exposure[id]! * k;
      if (v < 0.01) delete this.exposure[id];
      else this.exposure[id] = v;
    }
  }
  add(ids: number[], counts: number[]): void {
    for (let i = 0; i < ids.length; i++) {
      const id = String(ids[i]);
      this.exposure[id] = (this.exposure[id] ?? 0) + counts[i]!;
    }
  }
  metrics(n: number): { gini: number; volume: number; size: number } {
    const exposed = Object.values(this.exposure);
    return { gini: sparseGini(exposed, n), volume: exposed.reduce((a, b) => a + b, 0), size: exposed.length };
  }
}

t.test("exposure window - bit-for-bit the batch Gini, volume and size over random decays and summaries", async (t) => {
  for (const seed of [1, 2, 3]) {
    const rng = createRng(seed);
    const n = 500 + rng.int(3000);
    const batch = new Batch();
    const win = new ExposureWindow(ExposureWindow.empty());
    let mismatches = 0;
    let steps = 0;
    let maxSize = 0;
    for (let step = 0; step < 400; step++) {
      // decays of every size: tiny (drops nothing), typical, and harsh (drops most of the window)
      const r = rng.next();
      const k = r < 0.1 ? 1 : r < 0.2 ? 0.05 : Math.pow(0.5, rng.next() * 0.3);
      batch.decay(k);
      win.decay(k, 0.01);
      // a summary: distinct ids (as the aggregator sends them), skewed toward a popular head, counts 1..5;
      // sometimes a second summary repeats ids (several nodes)
      const m = rng.int(150);
      const ids: number[] = [];
      const seen = new Set<number>();
      for (let i = 0; i < m; i++) {
        const id = rng.next() < 0.5 ? rng.int(Math.min(n, 40)) : rng.int(n);
        if (seen.has(id)) continue;
        seen.add(id);
        ids.push(id);
      }
      const counts = ids.map(() => 1 + rng.int(5));
      batch.add(ids, counts);
      win.add(ids, counts);
      if (rng.next() < 0.2) {
        const again = ids.slice(0, 10).concat([rng.int(n)]);
        const c2 = again.map(() => 1 + rng.int(3));
        batch.add(again, c2);
        win.add(again, c2);
      }
      const want = batch.metrics(n);
      const got = { gini: win.gini(n), volume: win.volume(), size: win.size };
      steps++;
      maxSize = Math.max(maxSize, got.size);
      if (got.gini !== want.gini || got.volume !== want.volume || got.size !== want.size) {
        if (mismatches++ === 0) t.fail(`seed ${seed} step ${step}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      }
    }
    t.equal(mismatches, 0, `seed ${seed}: ${steps} steps identical (window up to ${maxSize} videos)`);
    t.ok(maxSize > 100, "the window held many videos");
    // the state is the plain ascending id list with the batch's counts; a window rebuilt from it continues identically
    const ids = Object.keys(batch.exposure).map(Number);
    t.same(win.state.ids, ids, "ids ascending, as the record enumerates them");
    t.same(win.state.counts, ids.map((id) => batch.exposure[String(id)]));
    const copy = new ExposureWindow(structuredClone(win.state));
    copy.decay(0.7, 0.01);
    win.decay(0.7, 0.01);
    batch.decay(0.7);
    copy.add([0, 1, n - 1], [2, 3, 4]);
    win.add([0, 1, n - 1], [2, 3, 4]);
    batch.add([0, 1, n - 1], [2, 3, 4]);
    t.equal(copy.gini(n), batch.metrics(n).gini, "a window restored from its state");
    t.equal(win.gini(n), batch.metrics(n).gini);
  }
});

t.test("exposure window - a record state converts to the same window", async (t) => {
  const rec = { "7": 2.5, "3": 1, "12": 4 };
  const st = ExposureWindow.fromRecord(rec);
  t.same(st, { ids: [3, 7, 12], counts: [1, 2.5, 4] });
  const w = new ExposureWindow(st);
  t.equal(w.gini(10), sparseGini(Object.values(rec), 10));
  t.equal(w.volume(), 7.5);
  t.throws(() => w.add([-1], [1]), RangeError, "ids are video numbers");
});

t.test("exposure window - summaries touching most of the window (a serving node's) then a few videos: still the batch figures", async (t) => {
  const rng = createRng(9);
  const n = 2500;
  const batch = new Batch();
  const win = new ExposureWindow(ExposureWindow.empty());
  let mismatches = 0;
  for (let step = 0; step < 120; step++) {
    batch.decay(0.8);
    win.decay(0.8, 0.01);
    // big summaries (thousands of impressions, repeats included) re-sort in bulk; small ones move a few counts
    const m = step % 3 === 2 ? 1 + rng.int(6) : 3000 + rng.int(3000);
    const ids = Array.from({ length: m }, () => (rng.next() < 0.3 ? rng.int(50) : rng.int(n)));
    const counts = ids.map(() => 1 + rng.int(4));
    batch.add(ids, counts);
    win.add(ids, counts);
    const want = batch.metrics(n);
    if (win.gini(n) !== want.gini || win.volume() !== want.volume || win.size !== want.size) mismatches++;
  }
  t.equal(mismatches, 0, "120 alternating big and small summaries, every Gini, volume and size identical");
  t.ok(win.size > 2000, `the window held most of the catalog (${win.size} videos)`);
});

t.test("exposure window - its radix sort of the values gives the native sort's order bit for bit", (t) => {
  const rng = createRng(7);
  const bits = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");
  const cases: [string, (i: number) => number][] = [
    ["decayed counts", (i) => Math.floor(rng.next() ** 3 * 40 + 1) * 0.7 ** (i % 9)],
    ["small integers (digit passes skipped)", () => Math.floor(rng.next() * 5)],
    ["wide range with zeros, subnormals and infinity", (i) => (i % 97 === 0 ? 0 : i % 89 === 0 ? 5e-324 : i % 83 === 0 ? Infinity : rng.next() * 10 ** Math.floor(rng.next() * 40 - 20))],
    ["negatives and -0 (native fallback)", (i) => (i % 50 === 0 ? -0 : rng.next() - 0.3)],
  ];
  for (const [name, gen] of cases) {
    for (const n of [0, 1, 255, 256, 3000, 100_000]) {
      const a = Float64Array.from({ length: n }, (_, i) => gen(i));
      const want = Float64Array.from(a).sort();
      ExposureWindow.sortDoubles(a, new Float64Array(n));
      t.equal(bits(a), bits(want), `${name}, ${n} values`);
    }
  }
  t.end();
});

t.test("exposure window - an update run in steps, interleaved with another window's, gives the one-shot figures and state", async (t) => {
  // two coordinators' merges in one process (a cluster's nodes in a test) step by turns; each window sorts in its own buffers
  const rng = createRng(11);
  const n = 30_000;
  const oneShot = [new ExposureWindow(ExposureWindow.empty()), new ExposureWindow(ExposureWindow.empty())];
  const stepped = [new ExposureWindow(ExposureWindow.empty()), new ExposureWindow(ExposureWindow.empty())];
  let mismatches = 0, maxSteps = 0;
  for (let round = 0; round < 12; round++) {
    const k = round === 0 ? null : Math.pow(0.5, rng.next());
    // mostly node-sized summaries (most of the window, the bulk path), some small ones (the ids' re-sort and the incremental path)
    const sums = [0, 1].map(() => {
      const m = round % 4 === 3 ? 1 + rng.int(40) : 10_000 + rng.int(20_000);
      const ids = Array.from({ length: m }, () => (rng.next() < 0.3 ? rng.int(300) : rng.int(n)));
      return { ids, counts: ids.map(() => 1 + rng.int(4)) };
    });
    for (let w = 0; w < 2; w++) {
      if (k !== null) oneShot[w]!.decay(k, 0.01);
      oneShot[w]!.add(sums[w]!.ids, sums[w]!.counts);
    }
    const gens = [0, 1].map((w) => stepped[w]!.update(k, 0.01, sums[w]!.ids, sums[w]!.counts));
    const done = [false, false];
    let steps = 0;
    while (!done[0] || !done[1]) {
      for (let w = 0; w < 2; w++) if (!done[w] && gens[w]!.next().done === true) done[w] = true;
      steps++;
    }
    maxSteps = Math.max(maxSteps, steps);
    for (let w = 0; w < 2; w++) {
      const a = stepped[w]!, b = oneShot[w]!;
      // the stepped figures (what the coordinator reads) against the one-shot window's sortedSparseGini and sum
      const gini = [a.giniSteps(n), a.giniSteps(3 * n), a.giniSteps(a.size)].map((g) => drain(g));
      const want = [b.gini(n), b.gini(3 * n), b.gini(b.size)];
      if (gini.some((g, i) => g !== want[i]) || drain(a.volumeSteps()) !== b.volume() || a.size !== b.size) mismatches++;
    }
  }
  t.equal(mismatches, 0, "every Gini (stepped, three catalog sizes), volume and size identical to the one-shot update");
  t.ok(maxSteps > 20, `an update of a node-sized summary takes many steps (${maxSteps})`);
  // compared whole as text (a diff of two 30k-entry lists would take minutes to print)
  for (let w = 0; w < 2; w++) t.ok(JSON.stringify(stepped[w]!.state) === JSON.stringify(oneShot[w]!.state), `window ${w}: the same ids and counts`);
});

t.test("exposure window - a window of many slices (20k videos): small updates with new ids still give the batch figures", async (t) => {
  // the slices of the loops (4,096 entries) and the merges from the back that cross several of them
  const rng = createRng(21);
  const n = 40_000;
  const batch = new Batch();
  const win = new ExposureWindow(ExposureWindow.empty());
  const first = Array.from({ length: 20_000 }, (_, i) => 2 * i + 1);
  const firstCounts = first.map(() => 1 + rng.int(5));
  batch.add(first, firstCounts);
  win.add(first, firstCounts);
  let mismatches = 0;
  for (let step = 0; step < 30; step++) {
    const k = step % 5 === 4 ? 0.8 : 0.97;
    batch.decay(k);
    win.decay(k, 0.01);
    // a few dozen videos: old ones (moved in the sorted order) and even ids not in the window yet (merged in)
    const ids = [...new Set(Array.from({ length: 60 }, () => (rng.next() < 0.5 ? 2 * rng.int(20_000) + 1 : 2 * rng.int(20_000))))];
    const counts = ids.map(() => 1 + rng.int(9));
    batch.add(ids, counts);
    win.add(ids, counts);
    const want = batch.metrics(n);
    if (win.gini(n) !== want.gini || win.volume() !== want.volume || win.size !== want.size) mismatches++;
  }
  t.equal(mismatches, 0, "30 small updates of a 20k-video window, every Gini, volume and size identical");
  t.ok(win.size > 20_000, `new ids were merged in (${win.size} videos)`);
});
