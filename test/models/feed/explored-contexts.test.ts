import t from "tap";
import { ExploredContexts, createRng } from "../../../models/index.ts";

/** The flat number[] the session kept before (push, and splice out the oldest past the bound): the reference. */
class Reference {
  e: number[] = [];
  constructor(readonly max: number) {}
  take(id: number): number[] | undefined {
    for (let i = 0; i < this.e.length; i += 2 + this.e[i + 1]!) {
      if (this.e[i] !== id) continue;
      const n = this.e[i + 1]!;
      const x = this.e.slice(i + 2, i + 2 + n);
      this.e.splice(i, 2 + n);
      return x;
    }
    return undefined;
  }
  add(id: number, x: number[]): void {
    this.take(id);
    this.e.push(id, x.length, ...x);
    let records = 0;
    for (let i = 0; i < this.e.length; i += 2 + this.e[i + 1]!) records++;
    if (records > this.max) this.e.splice(0, 2 + this.e[1]!);
  }
}

t.test("explored contexts - the same records, in the same order, as the flat array they replace", async (t) => {
  const rng = createRng(17);
  for (let trial = 0; trial < 40; trial++) {
    const max = 1 + rng.int(70);
    // mostly one context size (the bandit's), sometimes another
    const dims = trial % 4 === 0 ? [6, 3] : [6];
    const e = new ExploredContexts(max);
    const ref = new Reference(max);
    const ids = 5 + rng.int(150);
    let mismatch = "";
    for (let step = 0; step < 3000 && mismatch === ""; step++) {
      const r = rng.next();
      const id = rng.int(ids);
      if (r < 0.6) {
        const n = dims[rng.int(dims.length)]!;
        const x = Array.from({ length: n }, () => rng.next());
        e.add(id, x);
        ref.add(id, x);
      } else if (r < 0.97) {
        const got = e.take(id);
        const want = ref.take(id);
        if (JSON.stringify(got === undefined ? undefined : Array.from(got)) !== JSON.stringify(want)) mismatch = `take ${id} at step ${step}`;
      } else if (r < 0.985) {
        const back = ExploredContexts.fromArray(e.toArray(), max);
        if (JSON.stringify(back.toArray()) !== JSON.stringify(e.toArray())) mismatch = `round trip at step ${step}`;
      } else {
        e.clear();
        ref.e = [];
      }
      if (mismatch === "" && JSON.stringify(e.toArray()) !== JSON.stringify(ref.e)) mismatch = `records differ after step ${step}`;
      if (mismatch === "" && e.size > max) mismatch = `${e.size} records held, bound ${max}`;
    }
    t.equal(mismatch, "", `trial ${trial} (bound ${max}, ${ids} videos)`);
  }
});

t.test("explored contexts - a stored array with a record cut short is refused, naming the record", async (t) => {
  t.throws(() => ExploredContexts.fromArray([7, 2, 0.5, 0.25, 9, 6, 0.1], 64), /record at 4 claims 6 values, 1 left/);
  t.same(ExploredContexts.fromArray([], 64).toArray(), []);
  const e = ExploredContexts.fromArray([1, 2, 0.5, 0.25, 2, 1, 0.75, 3, 0], 2);
  t.same(e.toArray(), [2, 1, 0.75, 3, 0], "the newest records within the bound");
  t.same(Array.from(e.take(3)!), []);
  t.equal(e.size, 1);
});
