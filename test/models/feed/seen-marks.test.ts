import t from "tap";
import { SeenMarks, createRng } from "../../../models/index.ts";

t.test("seen marks - the same answers as new Set(ring): has, size, members; cleared between requests", async (t) => {
  const rng = createRng(9);
  const marks = new SeenMarks();
  for (let trial = 0; trial < 300; trial++) {
    // a seen ring as the session model keeps it: distinct ids, free slots -1, sometimes ids past the first array size
    const cap = 16 << rng.int(5);
    const ring = new Int32Array(cap).fill(-1);
    const filled = rng.int(cap + 1);
    const used = new Set<number>();
    for (let i = 0; i < filled; i++) {
      let id: number;
      do id = rng.next() < 0.1 ? 1000 + rng.int(50_000) : rng.int(2000);
      while (used.has(id));
      used.add(id);
      ring[i] = id;
    }
    const set = new Set(ring);
    marks.fill(ring);
    t.equal(marks.size, set.size, "size counts -1 once, as the Set does");
    t.same([...marks].sort((a, b) => a - b), [...set].filter((x) => x >= 0 || marks.has(x)).sort((a, b) => a - b));
    for (let q = 0; q < 200; q++) {
      const x = rng.next() < 0.5 ? ring[rng.int(cap)]! : rng.int(60_000) - 5;
      if (marks.has(x) !== set.has(x)) {
        t.fail(`trial ${trial}: has(${x}) ${marks.has(x)} != ${set.has(x)}`);
        return;
      }
    }
    t.equal(marks.has(1.5), false);
    marks.clear();
    if (ring.some((x) => x >= 0)) t.notOk(marks.has(ring.find((x) => x >= 0)!), "cleared");
    t.equal(marks.size, 0);
  }
  t.throws(() => marks.fill([1]).fill([2]), /still filled/, "one request at a time");
});
