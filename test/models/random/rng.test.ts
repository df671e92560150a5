import t from "tap";
import { createRng } from "../../../models/index.ts";

/** sfc32 as first written (unsigned words in closure variables): the stream createRng must keep. */
function reference(seed: number): () => number {
  const mix = (x: number, y: number): number => {
    let h = Math.imul(x ^ (y + 0x9e3779b9), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  };
  const s0 = seed >>> 0;
  let a = mix(s0, 1), b = mix(s0, 2), c = mix(s0, 3), d = 1;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let tt = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    tt = (tt + d) | 0;
    c = (c + tt) | 0;
    return (tt >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

t.test("rng - the same stream as the closure-variable sfc32, bit for bit, for seeds across the 32-bit range", async (t) => {
  for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff, -5]) {
    const r = createRng(seed);
    const ref = reference(seed);
    let diff = -1;
    for (let i = 0; i < 200_000 && diff < 0; i++) if (r.next() !== ref()) diff = i;
    t.equal(diff, -1, `seed ${seed}: 200,000 draws equal`);
  }
});

t.test("rng - int, normal and forks draw from that stream", async (t) => {
  const r = createRng(42);
  const ref = reference(42);
  t.equal(r.int(1000), Math.floor(ref() * 1000));
  const u = 1 - ref();
  const v = ref();
  t.equal(r.normal(), Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  const f = createRng(42).fork("exploration");
  const g = reference(f.seed);
  for (let i = 0; i < 1000; i++) if (f.next() !== g()) t.fail(`fork draw ${i}`);
  t.ok(createRng(42).next() >= 0 && createRng(42).next() < 1);
});
