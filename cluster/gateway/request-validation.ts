import { InvalidArgumentError, fypv1, type SessionMsg, type VideoUpload } from "../../protocols/index.ts";

/** The limits validation needs (a slice of the `grpc` config section). */
export interface ValidationLimits {
  maxFeedCount: number;
  maxCategory: number;
  maxClockSkewMs: number;
  maxEventAgeMs: number;
}

/** User, video and author ids; no "/" so an id is always exactly one actor key. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const LOCALE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;
// Control characters have no place in titles or tags (log injection, terminal escapes).
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_MEDIA_MS = 86_400_000;
const MAX_TITLE = 200;
const MAX_TAGS = 32;
const MAX_TAG = 64;

function id(v: unknown, field: string, required = true): string {
  if (typeof v !== "string") throw new InvalidArgumentError(field, "must be a string", v);
  if (v === "" && !required) return v;
  if (v === "") throw new InvalidArgumentError(field, "must be set");
  if (!ID_PATTERN.test(v)) throw new InvalidArgumentError(field, `must match ${ID_PATTERN.source}`, v);
  return v;
}

function intIn(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(field, `must be an integer in [${min}, ${max}]`, v);
  }
  return v;
}

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== "string") throw new InvalidArgumentError(field, "must be a string", v);
  if (v.length > max) throw new InvalidArgumentError(field, `must be at most ${max} characters`, v.length);
  if (CONTROL.test(v)) throw new InvalidArgumentError(field, "must not contain control characters");
  return v;
}

/** Epoch ms; 0 means `now`; otherwise within [now - maxAge, now + maxSkew]. */
function time(v: unknown, field: string, now: number, l: ValidationLimits): number {
  if (v === 0 || v === undefined || v === null) return now;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new InvalidArgumentError(field, "must be epoch milliseconds (0 = now)", v);
  if (v > now + l.maxClockSkewMs) throw new InvalidArgumentError(field, `must not be more than ${l.maxClockSkewMs} ms in the future`, v);
  if (v < now - l.maxEventAgeMs) throw new InvalidArgumentError(field, `must not be more than ${l.maxEventAgeMs} ms in the past`, v);
  return v;
}

function message(v: unknown, field: string): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw new InvalidArgumentError(field, "must be a message", v);
  return v as Record<string, unknown>;
}

export interface ValidFeedRequest {
  userId: string;
  count: number;
  at: number;
}

export function validateGetFeed(req: fypv1.GetFeedRequest, now: number, l: ValidationLimits): ValidFeedRequest {
  const r = message(req, "request") ?? {};
  const userId = id(r.userId, "user_id");
  const count = intIn(r.count, "count", 1, l.maxFeedCount);
  const ctx = message(r.context, "context");
  let at = now;
  if (ctx !== null) {
    at = time(ctx.atMs, "context.at_ms", now, l);
    text(ctx.device ?? "", "context.device", 32);
    const locale = text(ctx.locale ?? "", "context.locale", 35);
    if (locale !== "" && !LOCALE.test(locale)) throw new InvalidArgumentError("context.locale", "must be a BCP-47 tag like en-US", locale);
    text(ctx.sessionId ?? "", "context.session_id", 128);
  }
  return { userId, count, at };
}

/** A validated event as the actor message it becomes, with the session it goes to. */
export interface ValidEvent {
  userId: string;
  msg: SessionMsg;
  /**
   * Deduplication key of a retried event: the client's event id (per user), or one derived from the event's
   * fields when it carries its own time; undefined when neither (server time: a retry is another event).
   */
  eventId?: string;
}

const EVENT_TYPES = new Set<string>(Object.values(fypv1.EventType));

/** `field` is the event's position in the stream, e.g. `events[3]`. */
export function validateEvent(ev: fypv1.Event, field: string, now: number, l: ValidationLimits): ValidEvent {
  const e = message(ev, field) ?? {};
  const userId = id(e.userId, `${field}.user_id`);
  const type = e.type;
  if (typeof type !== "string" || !EVENT_TYPES.has(type)) throw new InvalidArgumentError(`${field}.type`, "must be a known EventType", type);
  const at = time(e.atMs, `${field}.at_ms`, now, l);
  const v = validEvent(e, field, type, userId, at);
  const eventId = id(e.eventId ?? "", `${field}.event_id`, false);
  if (eventId !== "") v.eventId = `c:${userId}|${eventId}`;
  else if (typeof e.atMs === "number" && e.atMs > 0) v.eventId = `d:${userId}|${type}|${e.videoId}|${e.watchMs}|${e.durationMs}|${e.atMs}`;
  return v;
}

function validEvent(e: Record<string, unknown>, field: string, type: string, userId: string, at: number): ValidEvent {
  if (type === fypv1.EventType.EVENT_TYPE_SESSION_END) return { userId, msg: { type: "session.leave", at } };
  if (type === fypv1.EventType.EVENT_TYPE_UNSPECIFIED) throw new InvalidArgumentError(`${field}.type`, "must be set");
  if (e.videoId === "") throw new InvalidArgumentError(`${field}.video_id`, `must be set for ${type}`);
  const videoId = id(e.videoId, `${field}.video_id`);
  switch (type) {
    case fypv1.EventType.EVENT_TYPE_WATCH: {
      const durationMs = intIn(e.durationMs, `${field}.duration_ms`, 1, MAX_MEDIA_MS);
      const watchMs = intIn(e.watchMs, `${field}.watch_ms`, 0, MAX_MEDIA_MS);
      return { userId, msg: { type: "session.watch", videoId, watchMs, durationMs, at } };
    }
    case fypv1.EventType.EVENT_TYPE_SKIP:
      return { userId, msg: { type: "session.skip", videoId, watchMs: intIn(e.watchMs, `${field}.watch_ms`, 0, MAX_MEDIA_MS), at } };
    case fypv1.EventType.EVENT_TYPE_IMPRESSION:
      return { userId, msg: { type: "session.impression", videoId, at } };
    case fypv1.EventType.EVENT_TYPE_LIKE:
      return { userId, msg: { type: "session.like", videoId, at } };
    case fypv1.EventType.EVENT_TYPE_SHARE:
      return { userId, msg: { type: "session.share", videoId, at } };
    case fypv1.EventType.EVENT_TYPE_REWATCH:
      return { userId, msg: { type: "session.rewatch", videoId, at } };
    default:
      throw new InvalidArgumentError(`${field}.type`, "must be a known EventType", type);
  }
}

export interface ValidUpload {
  /** "" when the server is to assign one. */
  videoId: string;
  msg: VideoUpload;
  title: string;
  tags: string[];
}

export function validateUpload(req: fypv1.UploadVideoRequest, now: number, l: ValidationLimits): ValidUpload {
  const r = message(req, "request") ?? {};
  const videoId = id(r.videoId, "video_id", false);
  const authorId = id(r.authorId, "author_id");
  const durationMs = intIn(r.durationMs, "duration_ms", 1, MAX_MEDIA_MS);
  const category = intIn(r.category, "category", 0, l.maxCategory);
  const title = text(r.title ?? "", "title", MAX_TITLE);
  const tags = r.tags ?? [];
  if (!Array.isArray(tags)) throw new InvalidArgumentError("tags", "must be a list of strings", tags);
  if (tags.length > MAX_TAGS) throw new InvalidArgumentError("tags", `must have at most ${MAX_TAGS} entries`, tags.length);
  tags.forEach((t, i) => {
    if (text(t, `tags[${i}]`, MAX_TAG) === "") throw new InvalidArgumentError(`tags[${i}]`, "must not be empty");
  });
  const at = time(r.atMs, "at_ms", now, l);
  const msg: VideoUpload = { type: "video.upload", authorId, durationMs, category, at };
  // the text travels with the upload to the video actor (and through the event log in a cluster)
  if (title !== "") msg.title = title;
  if (tags.length > 0) msg.tags = [...(tags as string[])];
  return { videoId, title, tags: tags as string[], msg };
}

export function validateVideoStats(req: fypv1.GetVideoStatsRequest): string {
  return id((message(req, "request") ?? {}).videoId, "video_id");
}
