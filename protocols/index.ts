export {
  ErrorCode,
  FypError,
  MailboxFullError,
  AskTimeoutError,
  HandlerFailedError,
  UnknownActorKindError,
  InvalidActorIdError,
  SystemStoppedError,
  ConfigError,
  InvalidArgumentError,
  ProtocolMismatchError,
  CodecError,
  DatasetRowError,
  NotFoundError,
  OverloadedError,
  StateStoreError,
  TransportError,
  RemoteError,
  errorMessage,
  errorToWire,
  errorFromWire,
} from "./errors.ts";
export { assertNever } from "./assert-never.ts";
export { ActorKind, actorId, parseActorId, hash32, shardOf } from "./actor-id.ts";
export type { ActorId } from "./actor-id.ts";
export { subjects } from "./subjects.ts";
export { PROTOCOL_VERSION } from "./envelope.ts";
export type { Envelope, ReplyEnvelope, Batch } from "./envelope.ts";
export { createCodec, SHARED_STRUCTURES, structuresFingerprint } from "./codec.ts";
export type { Codec } from "./codec.ts";
export type { Transport, Subscription } from "./transport.ts";
export type * from "./messages.ts";
export { ModelError } from "./errors.ts";
