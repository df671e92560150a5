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
  // the behaviour that handled each state, for its own snapshot (a state does not carry its key)
  const owner = new WeakMap<object, ActorBehavior<any, CoordMsg>>();
  return defineActor<unknown, CoordMsg>({
    kind: "coord",
    initialState: (key) => of(key).initialState(key),
    receive: (ctx, msg) => {
      const b = of(ctx.key);
      if (b.snapshot !== undefined && typeof ctx.state === "object" && ctx.state !== null) owner.set(ctx.state, b);
      return b.receive(ctx, msg);
    },
    snapshot: (state) => {
      const b = typeof state === "object" && state !== null ? owner.get(state) : undefined;
      return b?.snapshot !== undefined ? b.snapshot(state) : state;
    },
    restore: (data, key) => {
      const b = of(key);
      return b.restore !== undefined ? b.restore(data, key) : data;
    },
  });
}

/**
 * Rounds of node reports for a coordinator that every node reports to at its flushes (`nodes`: the nodes a
 * round waits for; `reported`: those in the current round; both updated in place). True when the report of
 * `node` ends the round: every node in `nodes` has reported since the last round ended, or `node` reports a
 * second time within it (a node with nothing to send holds the others up one flush at most). The nodes that
 * stayed silent through a round ended that way are not waited for again until they report (a node that
 * left or died, or a node id of a restarted process, does not slow every later round).
 * One node: every report ends a round. N nodes: one round per flush period, not N.
 */
export function endsRound(nodes: string[], reported: string[], node: string): boolean {
  if (!nodes.includes(node)) nodes.push(node);
  if (!reported.includes(node)) {
    reported.push(node);
    if (reported.length < nodes.length) return false;
  } else nodes.splice(0, nodes.length, ...reported);
  reported.length = 0;
  return true;
}
