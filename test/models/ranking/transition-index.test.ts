import t from "tap";
import { TransitionIndex } from "../../../models/index.ts";

t.test("transitions - directed, distance-weighted, recency-weighted queries, seen items excluded", (t) => {
  const ix = new TransitionIndex({ window: 2, decay: 0.5, backward: 0, maxNeighbors: 10 });
  ix.addSequence([1, 2, 3]);
  ix.addSequence([1, 2, 4]);
  ix.addSequence([5, 1, 6]);
  // from 1: 2 twice at distance 1 (2), 3 and 4 once at distance 2 (0.5 each), 6 once at distance 1 (1)
  const q = (recent: number[], o: Partial<{ seeds: number; recency: number; alpha: number }> = {}, exclude: number[] = []) =>
    ix.query({ recent, seeds: o.seeds ?? 1, recency: o.recency ?? 1, alpha: o.alpha ?? 0, exclude: (id) => exclude.includes(id) }, 10);
  t.same(q([1]), [{ id: 2, score: 2 }, { id: 6, score: 1 }, { id: 3, score: 0.5 }, { id: 4, score: 0.5 }]);
  t.same(q([2]).map((c) => c.id), [3, 4], "direction: what came after 2, not before it");
  t.same(q([1], {}, [2]).map((c) => c.id), [6, 3, 4], "excluded items are skipped");
  // two seeds: 2 (most recent, weight 1) then 1 (weight 0.5)
  const two = q([2, 1], { seeds: 2, recency: 0.5 });
  t.same(two.find((c) => c.id === 3)?.score, 1 + 0.25);
  // alpha 1: scores are shares of the item's outgoing weight (1 -> total 4)
  t.same(q([1], { alpha: 1 })[0], { id: 2, score: 0.5 });
  t.end();
});

t.test("transitions - backward links weigh less, maxNeighbors keeps the strongest", (t) => {
  const ix = new TransitionIndex({ window: 1, decay: 1, backward: 0.25, maxNeighbors: 1 });
  ix.addSequence([7, 8]);
  ix.addSequence([7, 9]);
  ix.addSequence([7, 9]);
  t.same(ix.query({ recent: [7], seeds: 1, recency: 1, alpha: 0, exclude: () => false }, 5), [{ id: 9, score: 2 }], "only the strongest neighbour kept");
  t.same(ix.query({ recent: [8], seeds: 1, recency: 1, alpha: 0, exclude: () => false }, 5), [{ id: 7, score: 0.25 }]);
  t.end();
});
