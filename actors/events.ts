import type { ActorId } from "../protocols/index.ts";

/** Lifecycle events of an actor system, as a typed stream tests and tools can await. */
export type ActorEvent =
  | { type: "activated"; id: ActorId; restored: boolean }
  | { type: "passivated"; id: ActorId }
  | { type: "message-failed"; id: ActorId; msgType: string; error: Error }
  | { type: "mailbox-overflow"; id: ActorId; msgType: string }
  | { type: "ask-timeout"; id: ActorId; msgType: string }
  | { type: "activation-failed"; id: ActorId; error: Error }
  | { type: "stopped" };

export type ActorEventType = ActorEvent["type"];
export type EventOf<T extends ActorEventType> = Extract<ActorEvent, { type: T }>;

/** A minimal typed event stream. Emission is skipped entirely when nobody listens (hot path). */
export class EventStream<E extends { type: string }> {
  private listeners: ((e: E) => void)[] = [];

  get active(): boolean {
    return this.listeners.length > 0;
  }

  on(listener: (e: E) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(e: E): void {
    for (const l of this.listeners) l(e);
  }

  /**
   * Resolves with the first event of `type` that passes `match`. Arm it before the action that causes
   * the event. The optional real-time `timeoutMs` rejects with a message naming what was awaited.
   */
  next<T extends E["type"]>(
    type: T,
    match: (e: Extract<E, { type: T }>) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<Extract<E, { type: T }>> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const off = this.on((e) => {
        if (e.type === type && match(e as Extract<E, { type: T }>)) {
          off();
          if (timer) clearTimeout(timer);
          resolve(e as Extract<E, { type: T }>);
        }
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          off();
          reject(new Error(`no "${type}" event matching the condition within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }
}
