import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { BruteForceIndex, createRng, HnswIndex, type AnnIndex } from "../../../models/index.ts";

/** Clustered vectors, like content embeddings (topics), not uniform noise. */
function clustered(n: number, dim: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  const centers = Array.from({ length: 50 }, () => Float32Array.from({ length: dim }, () => rng.normal()));
  return Array.from({ length: n }, () => {
    const c = centers[rng.int(centers.length)]!;
    return Float32Array.from(c, (v) => v + 0.6 * rng.normal());
  });
}

const params = { m: 16, efConstruction: 100, efSearch: 64, capacity: 1000 };

t.test("brute force - returns the exact top-k by cosine, best first", async (t) => {
  const vs = clustered(300, 8, 1);
  const bf = new BruteForceIndex(8);
  vs.forEach((v, i) => bf.add(i, v));
  const q = vs[5]!;
  const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (Math.hypot(...a) * Math.hypot(...b));
  const expected = vs.map((v, i) => ({ id: i, s: cos(q, v) })).sort((a, b) => b.s - a.s).slice(0, 10);
  const got = bf.search(q, 10);
  t.same(got.map((n) => n.id), expected.map((e) => e.id));
  t.ok(Math.abs(got[0]!.score - 1) < 1e-5, "a vector is its own nearest neighbour");
  bf.remove(5);
  t.notOk(bf.search(q, 10).some((n) => n.id === 5), "removed items are not returned");
  t.equal(bf.size, 299);
});

t.test("hnsw - recall@10 against brute force >= 0.95 on clustered vectors (grows past its capacity)", async (t) => {
  const dim = 32;
  const vs = clustered(4000, dim, 2);
  const hnsw = HnswIndex.create(dim, "cosine", params);
  const bf = new BruteForceIndex(dim);
  vs.forEach((v, i) => {
    hnsw.add(i, v);
    bf.add(i, v);
  });
  t.equal(hnsw.size, 4000);
  const queries = clustered(200, dim, 3);
  let hit = 0;
  for (const q of queries) {
    const truth = new Set(bf.search(q, 10).map((n) => n.id));
    hit += hnsw.search(q, 10).filter((n) => truth.has(n.id)).length;
  }
  const recall = hit / (queries.length * 10);
  t.ok(recall >= 0.95, `recall@10 = ${recall}`);
  const s = hnsw.search(queries[0]!, 5);
  const exact = bf.search(queries[0]!, 5);
  t.ok(Math.abs(s[0]!.score - exact[0]!.score) < 1e-4, "scores are cosine similarities like the exact index");
});

t.test("hnsw and brute force - retire, re-upload and the seen-set filter behave the same", async (t) => {
  const vs = clustered(500, 16, 4);
  for (const index of [HnswIndex.create(16, "cosine", params), new BruteForceIndex(16)] as AnnIndex[]) {
    const name = index.constructor.name;
    vs.forEach((v, i) => index.add(i, v));
    const q = vs[0]!;
    index.remove(0);
    t.notOk(index.has(0), `${name}: retired`);
    t.notOk(index.search(q, 20).some((n) => n.id === 0), `${name}: retired video not returned`);
    const seen = new Set(index.search(q, 5).map((n) => n.id));
    const filtered = index.search(q, 20, (id) => !seen.has(id));
    t.equal(filtered.length, 20, `${name}: still k results`);
    t.notOk(filtered.some((n) => seen.has(n.id)), `${name}: seen items filtered`);
    index.add(0, q);
    t.equal(index.search(q, 1)[0]!.id, 0, `${name}: re-uploaded video found again`);
    index.add(1, q); // re-embedding replaces the vector
    t.same(new Set(index.search(q, 2).map((n) => n.id)), new Set([0, 1]), `${name}: replaced vector used`);
    t.equal(index.size, 500);
  }
});

t.test("hnsw - save and load give the same answers without rebuilding", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "fyp-hnsw-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const vs = clustered(1000, 16, 5);
  const a = HnswIndex.create(16, "cosine", params);
  vs.forEach((v, i) => a.add(i, v));
  a.remove(3);
  a.save(join(dir, "idx.bin"));
  const b = HnswIndex.load(join(dir, "idx.bin"));
  t.equal(b.size, 999);
  t.notOk(b.has(3));
  for (const q of clustered(20, 16, 6)) t.same(b.search(q, 10), a.search(q, 10));
  b.add(5000, vs[0]!);
  t.equal(b.size, 1000, "a loaded index accepts uploads");
});
