import t from "tap";
import { ownerOf, placeShards } from "../../../cluster/index.ts";

const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `node-${i}`);

t.test("placement - same input gives the same owner, whatever the member order", (t) => {
  const ms = members(5);
  const reversed = [...ms].reverse();
  for (let s = 0; s < 256; s++) t.equal(ownerOf(s, ms), ownerOf(s, reversed), `shard ${s}`);
  t.equal(ownerOf(3, []), undefined, "no members, no owner");
  t.equal(ownerOf(3, ["solo"]), "solo");
  t.end();
});

t.test("placement - removing a node moves only its shards", (t) => {
  const cases = [
    { nodes: 2, remove: "node-0" },
    { nodes: 3, remove: "node-1" },
    { nodes: 5, remove: "node-4" },
    { nodes: 10, remove: "node-7" },
  ];
  for (const c of cases) {
    const before = members(c.nodes);
    const after = before.filter((m) => m !== c.remove);
    let moved = 0;
    for (let s = 0; s < 1024; s++) {
      const a = ownerOf(s, before)!;
      const b = ownerOf(s, after)!;
      if (a !== c.remove) t.equal(b, a, `${c.nodes} nodes: shard ${s} of a surviving node stays`);
      else moved++;
    }
    t.equal(moved, placeShards(1024, before).get(c.remove)!.length, `${c.nodes} nodes: exactly ${c.remove}'s shards moved`);
  }
  t.end();
});

t.test("placement - adding a node takes shards only from others, never swaps between old members", (t) => {
  const before = members(4);
  const after = [...before, "node-new"];
  for (let s = 0; s < 1024; s++) {
    const b = ownerOf(s, after)!;
    if (b !== "node-new") t.equal(b, ownerOf(s, before), `shard ${s}`);
  }
  t.end();
});

t.test("placement - 1024 shards are balanced like a fair random draw (within 4 standard deviations)", (t) => {
  for (const n of [2, 3, 5, 8, 16]) {
    const table = placeShards(1024, members(n));
    const mean = 1024 / n;
    const counts = [...table.values()].map((s) => s.length);
    t.equal(counts.reduce((a, b) => a + b, 0), 1024, `${n} nodes: every shard placed once`);
    const sd = Math.sqrt(1024 * (1 / n) * (1 - 1 / n));
    t.ok(Math.max(...counts) <= mean + 4 * sd && Math.min(...counts) >= mean - 4 * sd, `${n} nodes: ${counts.join(",")} around ${mean.toFixed(0)} ± ${(4 * sd).toFixed(0)}`);
  }
  t.end();
});
