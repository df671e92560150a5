import t from "tap";
import { VirtualClock } from "../../actors/index.ts";

t.test("virtual clock - timers fire in (time, order set) and move time exactly", (t) => {
  const c = new VirtualClock({ seed: 1 });
  const log: string[] = [];
  c.setTimer(20, () => log.push(`b@${c.now()}`));
  c.setTimer(10, () => log.push(`a@${c.now()}`));
  c.setTimer(20, () => log.push(`c@${c.now()}`));
  const cancelled = c.setTimer(15, () => log.push("never"));
  cancelled.cancel();
  cancelled.cancel();
  c.setTimer(10, () => c.setTimer(0, () => log.push(`nested@${c.now()}`)));
  while (c.fireNext());
  t.same(log, ["a@10", "nested@10", "b@20", "c@20"]);
  t.equal(c.now(), 20);
  t.equal(c.pending, 0);
  t.end();
});

t.test("virtual clock - background timers alone do not keep a run going", (t) => {
  const c = new VirtualClock({ seed: 1 });
  c.setTimer(100, () => {}, true);
  t.equal(c.nextTime(), undefined);
  c.setTimer(200, () => {});
  t.equal(c.nextTime(), 100, "with foreground work, background timers fire in order");
  t.throws(() => c.advanceTo(150), /would skip a timer/);
  t.end();
});

t.test("virtual clock - the seeded stream repeats for a seed and differs across seeds", (t) => {
  const draw = (seed: number) => {
    const r = new VirtualClock({ seed }).rng;
    return Array.from({ length: 5 }, () => r.next());
  };
  t.same(draw(3), draw(3));
  t.notSame(draw(3), draw(4));
  t.end();
});
