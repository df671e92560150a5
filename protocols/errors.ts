/** Stable error codes. A code is never reused for another meaning. */
export const ErrorCode = {
  MailboxFull: "FYP_ERR_MAILBOX_FULL",
  AskTimeout: "FYP_ERR_ASK_TIMEOUT",
  HandlerFailed: "FYP_ERR_HANDLER_FAILED",
  UnknownActorKind: "FYP_ERR_UNKNOWN_ACTOR_KIND",
  InvalidActorId: "FYP_ERR_INVALID_ACTOR_ID",
  SystemStopped: "FYP_ERR_SYSTEM_STOPPED",
  Config: "FYP_ERR_CONFIG",
  InvalidArgument: "FYP_ERR_INVALID_ARGUMENT",
  ProtocolMismatch: "FYP_ERR_PROTOCOL_MISMATCH",
  Codec: "FYP_ERR_CODEC",
  DatasetRow: "FYP_ERR_DATASET_ROW",
  NotFound: "FYP_ERR_NOT_FOUND",
  Overloaded: "FYP_ERR_OVERLOADED",
  StateStore: "FYP_ERR_STATE_STORE",
  Transport: "FYP_ERR_TRANSPORT",
  Model: "FYP_ERR_MODEL",
  Internal: "FYP_ERR_INTERNAL",
  Unauthenticated: "FYP_ERR_UNAUTHENTICATED",
  DeadlineExceeded: "FYP_ERR_DEADLINE_EXCEEDED",
  Unavailable: "FYP_ERR_UNAVAILABLE",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every error the project throws on purpose: a stable code, whether a retry may help, and a cause. */
export class FypError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}

/** An actor's bounded mailbox was full; the message was not enqueued. */
export class MailboxFullError extends FypError {
  constructor(readonly actor: string, readonly capacity: number) {
    super(ErrorCode.MailboxFull, `mailbox of ${actor} is full (capacity ${capacity})`, { retryable: true });
  }
}

/** An `ask` got no reply within its deadline. */
export class AskTimeoutError extends FypError {
  constructor(readonly actor: string, readonly messageType: string, readonly timeoutMs: number) {
    super(ErrorCode.AskTimeout, `ask ${messageType} to ${actor} timed out after ${timeoutMs} ms`, { retryable: true });
  }
}

/** An actor's handler threw while processing a message; only that message failed. */
export class HandlerFailedError extends FypError {
  constructor(readonly actor: string, readonly messageType: string, cause: unknown) {
    super(ErrorCode.HandlerFailed, `${actor} failed to handle ${messageType}: ${errorMessage(cause)}`, { cause });
  }
}

export class UnknownActorKindError extends FypError {
  constructor(readonly kind: string) {
    super(ErrorCode.UnknownActorKind, `no actor kind "${kind}" is registered`);
  }
}

export class InvalidActorIdError extends FypError {
  constructor(readonly id: string) {
    super(ErrorCode.InvalidActorId, `invalid actor id "${id}": expected "kind/key"`);
  }
}

export class SystemStoppedError extends FypError {
  constructor(what: string) {
    super(ErrorCode.SystemStopped, `actor system is stopped: ${what}`);
  }
}

/** A configuration value broke a rule: names the field, the value and the rule. */
export class ConfigError extends FypError {
  constructor(readonly field: string, readonly value: unknown, readonly rule: string, readonly source?: string) {
    super(
      ErrorCode.Config,
      `config ${field}: ${rule} (got ${formatValue(value)})${source ? ` [from ${source}]` : ""}`,
    );
  }
}

/** A request or command argument is invalid: names the field. */
export class InvalidArgumentError extends FypError {
  constructor(readonly field: string, readonly rule: string, readonly value?: unknown) {
    super(ErrorCode.InvalidArgument, `${field}: ${rule}${value === undefined ? "" : ` (got ${formatValue(value)})`}`);
  }
}

/** A peer speaks another protocol version or shard count. */
export class ProtocolMismatchError extends FypError {
  constructor(readonly what: string, readonly expected: unknown, readonly actual: unknown) {
    super(ErrorCode.ProtocolMismatch, `${what} mismatch: expected ${formatValue(expected)}, got ${formatValue(actual)}`);
  }
}

export class CodecError extends FypError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.Codec, message, { cause });
  }
}

/** A malformed dataset row: file, 1-based line and column name. */
export class DatasetRowError extends FypError {
  constructor(readonly file: string, readonly line: number, readonly column: string, readonly problem: string) {
    super(ErrorCode.DatasetRow, `${file}:${line}: column ${column}: ${problem}`);
  }
}

export class NotFoundError extends FypError {
  constructor(what: string) {
    super(ErrorCode.NotFound, `${what} not found`);
  }
}

export class OverloadedError extends FypError {
  constructor(what: string) {
    super(ErrorCode.Overloaded, `overloaded: ${what}`, { retryable: true });
  }
}

export class StateStoreError extends FypError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.StateStore, message, { retryable: true, cause });
  }
}

export class TransportError extends FypError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.Transport, message, { retryable: true, cause });
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? v.slice(0, 77) + "..." : v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? s.slice(0, 77) + "..." : s;
  } catch {
    return String(v);
  }
}

/** An error that crossed the wire: keeps the remote code and retryability. */
export class RemoteError extends FypError {
  constructor(code: ErrorCode, message: string, retryable: boolean) {
    super(code, message, { retryable });
  }
}

/** The wire form of any error (FypError keeps its code; anything else is internal). */
export function errorToWire(e: unknown): { code: string; message: string; retryable: boolean } {
  if (e instanceof FypError) return { code: e.code, message: e.message, retryable: e.retryable };
  return { code: ErrorCode.Internal, message: errorMessage(e), retryable: false };
}

export function errorFromWire(w: { code: string; message: string; retryable: boolean }): FypError {
  const known = (Object.values(ErrorCode) as string[]).includes(w.code) ? (w.code as ErrorCode) : ErrorCode.Internal;
  return new RemoteError(known, w.message, w.retryable);
}

/** A model failed to load, export, train or run; names the model and the step. */
export class ModelError extends FypError {
  constructor(readonly model: string, readonly step: string, message: string, cause?: unknown) {
    super(ErrorCode.Model, `model ${model}: ${step}: ${message}`, { cause });
  }
}

/** A request carried no credentials or wrong ones (the bearer token check). */
export class UnauthenticatedError extends FypError {
  constructor(reason: string) {
    super(ErrorCode.Unauthenticated, `unauthenticated: ${reason}`);
  }
}

/** A request's deadline passed before its work finished (or before it started). */
export class DeadlineExceededError extends FypError {
  constructor(readonly what: string, readonly budgetMs: number) {
    super(ErrorCode.DeadlineExceeded, `deadline exceeded: ${what} (budget ${Math.max(0, Math.round(budgetMs))} ms)`);
  }
}

/** A service is not there right now (shutting down, or a part it needs is not registered). */
export class UnavailableError extends FypError {
  constructor(what: string, retryable = true) {
    super(ErrorCode.Unavailable, `unavailable: ${what}`, { retryable });
  }
}
