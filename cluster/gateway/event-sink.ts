import type { SessionMsg, VideoUpload } from "../../protocols/index.ts";

/** A state-changing request the gateway accepted: an interaction for a session, or an upload. */
export type AcceptedEvent =
  | { kind: "session"; userId: string; msg: SessionMsg; eventId?: string }
  | { kind: "video"; videoId: string; msg: VideoUpload; eventId?: string };

/**
 * Where accepted events are recorded before the client gets its acknowledgement (DESIGN.md §4: an
 * acknowledged event is never lost). The gateway awaits every returned promise before it acks; the
 * cluster plugs a JetStream log in here.
 */
export interface EventSink {
  /** Returns a promise when recording is asynchronous; `void` when it is already done. */
  append(event: AcceptedEvent): void | Promise<void>;
}

/** The embedded default: no event log, events live in the actors' state (checkpointed on passivation). */
export class DirectEventSink implements EventSink {
  append(): void {}
}
