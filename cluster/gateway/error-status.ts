import { ErrorCode, FypError, HandlerFailedError, errorMessage } from "../../protocols/index.ts";
import { GrpcStatus } from "./status-codes.ts";

/** What a failed call answers: status code, details text, and the error's stable code for trailers. */
export interface CallStatus {
  code: GrpcStatus;
  details: string;
  /** The FYP_ERR_* code, when the error was one of ours. */
  errorCode: ErrorCode;
  retryable: boolean;
}

/**
 * The one mapping from internal error codes to gRPC status codes. A Record over every ErrorCode, so a new
 * code does not compile until it is mapped here.
 */
const STATUS_OF: Record<ErrorCode, GrpcStatus> = {
  [ErrorCode.InvalidArgument]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.InvalidActorId]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.Codec]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.MailboxFull]: GrpcStatus.RESOURCE_EXHAUSTED,
  [ErrorCode.Overloaded]: GrpcStatus.RESOURCE_EXHAUSTED,
  [ErrorCode.AskTimeout]: GrpcStatus.DEADLINE_EXCEEDED,
  [ErrorCode.DeadlineExceeded]: GrpcStatus.DEADLINE_EXCEEDED,
  [ErrorCode.NotFound]: GrpcStatus.NOT_FOUND,
  [ErrorCode.Unauthenticated]: GrpcStatus.UNAUTHENTICATED,
  [ErrorCode.SystemStopped]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.Transport]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.StateStore]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.Unavailable]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.HandlerFailed]: GrpcStatus.INTERNAL,
  [ErrorCode.UnknownActorKind]: GrpcStatus.INTERNAL,
  [ErrorCode.Config]: GrpcStatus.INTERNAL,
  [ErrorCode.ProtocolMismatch]: GrpcStatus.INTERNAL,
  [ErrorCode.DatasetRow]: GrpcStatus.INTERNAL,
  [ErrorCode.Model]: GrpcStatus.INTERNAL,
  [ErrorCode.Internal]: GrpcStatus.INTERNAL,
};

/**
 * Maps any thrown value to the status a client sees. A handler that failed with one of our errors answers
 * as that error (an actor refusing a request as invalid is still INVALID_ARGUMENT); anything we did not
 * throw on purpose is INTERNAL without its message, which may carry internals.
 */
export function toCallStatus(e: unknown): CallStatus {
  let err = e;
  while (err instanceof HandlerFailedError && err.cause instanceof FypError) err = err.cause;
  if (err instanceof FypError) {
    return { code: STATUS_OF[err.code] ?? GrpcStatus.INTERNAL, details: err.message, errorCode: err.code, retryable: err.retryable };
  }
  return { code: GrpcStatus.INTERNAL, details: "internal error", errorCode: ErrorCode.Internal, retryable: false };
}

/** For logs: the full text of an error that became INTERNAL. */
export function internalDetail(e: unknown): string {
  return errorMessage(e);
}
