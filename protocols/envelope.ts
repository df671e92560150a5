import type { ActorId } from "./actor-id.ts";

/** Wire protocol version; nodes refuse peers with another one. */
export const PROTOCOL_VERSION = 1;

/** What crosses a transport: one message for one actor, possibly expecting a reply. */
export interface Envelope<M = unknown> {
  /** Protocol version. */
  v: number;
  /** Target actor. */
  to: ActorId;
  /** The message. */
  msg: M;
  /** For `ask`: subject/inbox the reply goes to. */
  replyTo?: string;
  /** For `ask`: correlation id, unique per asking node. */
  corr?: number;
}

/** An `ask` reply travelling back to the asking node's inbox. */
export interface ReplyEnvelope {
  v: number;
  corr: number;
  ok: boolean;
  /** The reply value when ok. */
  value?: unknown;
  /** Error code and message when not ok. */
  error?: { code: string; message: string; retryable: boolean };
}

/** Several envelopes for one shard within one tick travel as one transport message. */
export interface Batch {
  v: number;
  envelopes: Envelope[];
}
