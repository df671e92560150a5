import t from "tap";
import { defineActor } from "../../actors/index.ts";
import { LmdbStateStore } from "../../cluster/index.ts";
import { testSystem } from "../helpers/actor-system.ts";

interface Profile { name: string; watched: string[]; vec: number[] }
type M = { type: "watch"; video: string } | { type: "get" } | { type: "rename"; name: string };

const profile = defineActor<Profile, M>({
  kind: "profile",
  initialState: (key) => ({ name: key, watched: [], vec: [0, 0, 0] }),
  receive(ctx, msg) {
    switch (msg.type) {
      case "watch":
        ctx.state.watched.push(msg.video);
        ctx.state.vec = ctx.state.vec.map((x, i) => x + i + 0.5);
        return undefined;
      case "rename":
        ctx.state.name = msg.name;
        ctx.passivate();
        return undefined;
      case "get":
        return ctx.state;
    }
  },
});

t.test("passivation - LMDB store round trip survives a new system on the same folder", async (t) => {
  const dir = t.testdir();
  const store = new LmdbStateStore(dir);
  const { system } = testSystem({ store });
  system.register(profile);
  for (const v of ["v1", "v2", "v3"]) system.tell("profile/u1", { type: "watch", video: v });
  system.tell("profile/u1", { type: "rename", name: "alice" }); // asks to passivate when idle
  const gone = system.events.next("passivated", (e) => e.id === "profile/u1");
  system.runReady();
  await gone;
  t.notOk(system.isActive("profile/u1"), "freed from memory");
  await system.flushWrites();
  t.equal(store.count(), 1, "one state persisted");
  await system.stop();
  await store.close();

  // A fresh system (as after a restart) re-activates the actor from disk.
  const store2 = new LmdbStateStore(dir);
  const { system: system2 } = testSystem({ store: store2 });
  system2.register(profile);
  const activated = system2.events.next("activated");
  const s = await system2.ask<Profile>("profile/u1", { type: "get" });
  t.same(s, { name: "alice", watched: ["v1", "v2", "v3"], vec: [1.5, 4.5, 7.5] });
  t.equal((await activated).restored, true);
  const fresh = await system2.ask<Profile>("profile/u2", { type: "get" });
  t.same(fresh, { name: "u2", watched: [], vec: [0, 0, 0] }, "unknown actors start from their initial state");
  await system2.stop();
  await store2.close();
});

t.test("passivation - a message right after passivation sees the state before the disk commit", async (t) => {
  const store = new LmdbStateStore(t.testdir());
  const { system } = testSystem({ store });
  system.register(profile);
  system.tell("profile/u9", { type: "watch", video: "a" });
  system.runReady();
  system.passivate("profile/u9");
  t.notOk(system.isActive("profile/u9"));
  // No await between passivation and the next message: the write is still in flight.
  const s = await system.ask<Profile>("profile/u9", { type: "get" });
  t.same(s.watched, ["a"]);
  t.equal(system.stats().reactivations, 1);
  await system.stop();
  await store.close();
});
