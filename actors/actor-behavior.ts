import type { Logger } from "pino";
import type { ActorId, AnyMsg } from "../protocols/index.ts";
import type { Clock } from "./clock.ts";

/** Shared per-node services reached through the context (ModelService, AnnIndex, Catalog, ReadModels…). */
export type NodeServices = Record<string, unknown>;

/** What a handler sees: its identity and state, time, logging, messaging and timers. */
export interface ActorContext<S, M> {
  readonly id: ActorId;
  readonly kind: string;
  readonly key: string;
  /** The actor's own state; mutate it freely, it is persisted on passivation. */
  state: S;
  readonly clock: Clock;
  readonly log: Logger;
  readonly services: NodeServices;
  /** Fire-and-forget to any actor. */
  tell(to: ActorId, msg: AnyMsg): void;
  /** Request/reply with a deadline; rejects with AskTimeoutError. */
  ask<R = unknown>(to: ActorId, msg: AnyMsg, timeoutMs?: number): Promise<R>;
  /** Delivers `msg` to this actor after `delayMs` (again every `delayMs` when periodic). Replaces a timer of the same name. */
  setTimer(name: string, delayMs: number, msg: M, periodic?: boolean): void;
  cancelTimer(name: string): void;
  /** Passivates this actor as soon as its mailbox is empty. */
  passivate(): void;
}

/**
 * An actor kind. `receive` handles one message at a time; its return value (or resolved value) is the
 * reply to an `ask`. Throwing fails only that message.
 */
export interface ActorBehavior<S, M extends { type: string }> {
  readonly kind: string;
  initialState(key: string): S;
  receive(ctx: ActorContext<S, M>, msg: M): unknown;
  /** State -> a codec-friendly value on passivation (default: the state itself). */
  snapshot?(state: S): unknown;
  /** The inverse of `snapshot` on re-activation. */
  restore?(data: unknown, key: string): S;
}

export function defineActor<S, M extends { type: string }>(b: ActorBehavior<S, M>): ActorBehavior<S, M> {
  return b;
}
