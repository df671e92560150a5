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
export type { Transport, Subscription, SubscribeOptions } from "./transport.ts";
export type * from "./messages.ts";
export { ModelError } from "./errors.ts";
export { UnauthenticatedError, DeadlineExceededError, UnavailableError } from "./errors.ts";
export { FEED_PROTO_PATH, FEED_SERVICE_NAME, FEED_LOADER_OPTIONS } from "./grpc/feed-proto.ts";
export type { DeepPartial } from "./grpc/feed-proto.ts";
export * as fypv1 from "./grpc/feed-types.ts";
export type { ReadModelUpdate, ReadModelUpdateType } from "./read-models.ts";
