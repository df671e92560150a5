import type { CoordMsg } from "../../protocols/index.ts";
import { defineActor, type ActorContext } from "../actor-behavior.ts";

type Kind = "sparse" | "dense";

/** The node service coord/model-sync drives (cluster/node/model-sync.ts implements it). */
export interface ModelSyncServiceLike {
  model: string;
  sparseIntervalMs: number;
  denseIntervalMs: number;
  /** Starts a round; it reports back with `model.trained`, `model-sync.idle` or `model-sync.failed`. */
  train(kind: Kind, parent: string | null): void;
}

/** Messages of coord/model-sync besides the shared coordinator ones. */
export type ModelSyncMsg =
  | CoordMsg
  /** Sent by every node when it joins (and periodically): arms the round timers from the persisted schedule. */
  | { type: "model-sync.ensure" }
  /** A round is due (timer). */
  | { type: "model-sync.due"; kind: Kind }
  | { type: "model-sync.idle"; kind: Kind }
  | { type: "model-sync.failed"; kind: Kind; error: string }
  /** `model.trained` may carry the round kind ("push" when a version was pushed by hand). */
  | { type: "model.trained"; model: string; version: string; metrics: Record<string, number>; kind?: string };

export interface ModelSyncState {
  current: string | null;
  /** Epoch-clock time each kind last started a round (0 = never). */
  lastRound: Record<Kind, number>;
  rounds: Record<Kind, number>;
  idle: number;
  failures: number;
  lastError: string;
  /** A round in progress and when it started (a round older than its interval is considered lost). */
  running: { kind: Kind; since: number } | null;
  /** Recent versions, newest last (bounded). */
  versions: { version: string; kind: string; at: number; metrics: Record<string, number> }[];
}

const HISTORY = 50;

function service(ctx: ActorContext<ModelSyncState, ModelSyncMsg>): ModelSyncServiceLike | undefined {
  return ctx.services.modelSync as ModelSyncServiceLike | undefined;
}

function intervalOf(svc: ModelSyncServiceLike, kind: Kind): number {
  return kind === "sparse" ? svc.sparseIntervalMs : svc.denseIntervalMs;
}

/** Arms each kind's timer for its next due time, computed from the persisted schedule (re-arming is idempotent). */
function arm(ctx: ActorContext<ModelSyncState, ModelSyncMsg>, svc: ModelSyncServiceLike): void {
  const now = ctx.clock.now();
  for (const kind of ["sparse", "dense"] as const) {
    const last = ctx.state.lastRound[kind];
    // A fresh schedule starts one interval from now (not a burst of rounds at start-up).
    if (last === 0) ctx.state.lastRound[kind] = now;
    const due = ctx.state.lastRound[kind] + intervalOf(svc, kind);
    ctx.setTimer(kind, Math.max(0, due - now), { type: "model-sync.due", kind });
  }
}

/**
 * coord/model-sync: schedules incremental training rounds of the served model — sparse updates every
 * `sparseIntervalMs` (minutes in Monolith), dense ones every `denseIntervalMs` (daily) — one round at a time.
 * A round runs on the node hosting this actor (`services.modelSync`); a new version goes to the cluster's
 * model store, which every node watches and hot-swaps to. The schedule is part of the actor's state, so a
 * node taking the coordinator over (fail-over, hand-off) continues it; its timers are re-armed by the
 * nodes' `model-sync.ensure`.
 */
export const modelSyncCoordinator = defineActor<ModelSyncState, ModelSyncMsg>({
  kind: "coord",
  initialState: () => ({ current: null, lastRound: { sparse: 0, dense: 0 }, rounds: { sparse: 0, dense: 0 }, idle: 0, failures: 0, lastError: "", running: null, versions: [] }),
  receive(ctx, msg) {
    const s = ctx.state;
    const svc = service(ctx);
    switch (msg.type) {
      case "model-sync.ensure":
        if (svc !== undefined) arm(ctx, svc);
        return undefined;
      case "model-sync.due": {
        if (svc === undefined) return undefined;
        const now = ctx.clock.now();
        const lost = s.running !== null && now - s.running.since > intervalOf(svc, s.running.kind);
        if (s.running === null || lost) {
          s.running = { kind: msg.kind, since: now };
          s.rounds[msg.kind]++;
          svc.train(msg.kind, s.current);
        }
        // A round already running: this one is skipped, the next is one interval later.
        s.lastRound[msg.kind] = now;
        arm(ctx, svc);
        return undefined;
      }
      case "model-sync.idle":
        s.idle++;
        s.running = null;
        return undefined;
      case "model-sync.failed":
        s.failures++;
        s.lastError = msg.error;
        s.running = null;
        return undefined;
      case "model.trained": {
        const kind = (msg as { kind?: string }).kind ?? "push";
        s.current = msg.version;
        s.versions.push({ version: msg.version, kind, at: ctx.clock.now(), metrics: msg.metrics });
        if (s.versions.length > HISTORY) s.versions.splice(0, s.versions.length - HISTORY);
        if (kind === "sparse" || kind === "dense") s.running = null;
        return undefined;
      }
      case "coord.get-state":
        return { ...s, scheduled: svc !== undefined };
      default:
        return undefined;
    }
  },
});
