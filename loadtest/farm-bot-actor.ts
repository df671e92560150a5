import { defineActor, feedServices } from "../actors/index.ts";

/** Shared by a run's farm bots (`services.farm`). */
export interface FarmServices {
  targets: number[];
  intervalMs: number;
  events: number;
}

export type FarmBotMsg = { type: "farm.start" } | { type: "farm.tick" };

/**
 * An engagement-farm bot: through its own session it reports full watches of the farm's target videos at
 * a machine-regular pace (what the integrity coordinator must catch), cycling through the targets.
 */
export const farmBotActor = defineActor<{ sent: number }, FarmBotMsg>({
  kind: "farmbot",
  initialState: () => ({ sent: 0 }),
  receive(ctx, msg) {
    const farm = ctx.services.farm as FarmServices;
    const s = ctx.state;
    if (msg.type === "farm.start") {
      ctx.setTimer("tick", farm.intervalMs, { type: "farm.tick" }, true);
      return undefined;
    }
    if (s.sent >= farm.events) {
      ctx.cancelTimer("tick");
      ctx.passivate();
      return undefined;
    }
    const target = farm.targets[s.sent % farm.targets.length]!;
    const v = feedServices(ctx.services).catalog.get(target)!;
    ctx.tell("session/" + ctx.key, { type: "session.watch", videoId: "v" + target, watchMs: v.durationMs, durationMs: v.durationMs, at: ctx.clock.now() });
    s.sent++;
    return undefined;
  },
});
