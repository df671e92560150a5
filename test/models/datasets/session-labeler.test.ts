import t from "tap";
import { labelSessions, UNKNOWN_LABELS, type Interaction } from "../../../models/index.ts";
import { collect } from "../../helpers/datasets.ts";

const it = (userId: number, timeMs: number): Interaction => ({ userId, videoId: 1, timeMs, labels: { ...UNKNOWN_LABELS }, signals: {}, session: null });
async function* from(xs: Interaction[]) {
  yield* xs;
}

t.test("sessions - a gap above the threshold starts a new session; continues looks ahead", async (t) => {
  const out = await collect(labelSessions(from([it(1, 0), it(2, 5), it(1, 100), it(1, 201), it(2, 10), it(1, 250)]), 100));
  const u1 = out.filter((x) => x.userId === 1).map((x) => [x.timeMs, x.session]);
  t.same(u1, [
    [0, { session: 0, position: 0, continues: true }],
    [100, { session: 0, position: 1, continues: false }],
    [201, { session: 1, position: 0, continues: true }],
    [250, { session: 1, position: 1, continues: false }],
  ]);
  const u2 = out.filter((x) => x.userId === 2).map((x) => x.session);
  t.same(u2, [{ session: 0, position: 0, continues: true }, { session: 0, position: 1, continues: false }]);
});

t.test("sessions - time going backwards is a boundary; ordinal time has no sessions", async (t) => {
  const out = await collect(labelSessions(from([it(1, 50), it(1, 40)]), 100));
  t.same(out.map((x) => x.session!.session), [0, 1]);
  const ord = await collect(labelSessions(from([{ ...it(3, 0), timeIsOrdinal: true }]), 100));
  t.equal(ord[0]!.session, null);
});
