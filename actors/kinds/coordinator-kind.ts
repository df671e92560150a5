import type { CoordMsg } from "../../protocols/index.ts";
import { defineActor, type ActorBehavior } from "../actor-behavior.ts";

/**
 * Coordinators are ordinary actors with fixed keys (`coord/viral`, `coord/homogenization`, …), so placement
 * and fail-over treat them like any other; this kind routes each key to its behaviour.
 */
export function coordinatorKind(byKey: Record<string, ActorBehavior<any, CoordMsg>>): ActorBehavior<unknown, CoordMsg> {
  const of = (key: string): ActorBehavior<any, CoordMsg> => {
    const b = byKey[key];
    if (b === undefined) throw new Error(`no coordinator "coord/${key}" (known: ${Object.keys(byKey).join(", ")})`);
    return b;
  };
  return defineActor<unknown, CoordMsg>({
    kind: "coord",
    initialState: (key) => of(key).initialState(key),
    receive: (ctx, msg) => of(ctx.key).receive(ctx, msg),
    snapshot: (state) => state,
  });
}
