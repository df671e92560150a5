import { Packr } from "msgpackr";
import { CodecError } from "./errors.ts";

/**
 * Record shapes shared by every node, in a fixed order. msgpackr encodes an object whose keys match one
 * of these (same keys, same order) as a 1-byte record reference instead of repeating its keys; any other
 * shape is encoded inline, self-described. Appending or reordering here changes the wire format: bump
 * PROTOCOL_VERSION (the codec test pins the fingerprint).
 */
export const SHARED_STRUCTURES: readonly (readonly string[])[] = [
  ["v", "to", "msg"],
  ["v", "to", "msg", "replyTo", "corr"],
  ["v", "envelopes"],
  ["v", "corr", "ok", "value"],
  ["v", "corr", "ok", "error"],
  ["code", "message", "retryable"],
  ["type", "at", "cohort"],
  ["type", "at"],
  ["type"],
  ["type", "count", "at"],
  ["type", "videoId", "watchMs", "durationMs", "at"],
  ["type", "videoId", "watchMs", "at"],
  ["type", "videoId", "at"],
  ["type", "authorId", "durationMs", "category", "at"],
  ["type", "sessionKey", "watchMs", "durationMs", "at"],
  ["type", "stage", "watches", "watchRatioSum", "impressions", "watchMs", "completions", "skips", "likes", "rewatches"],
  ["type", "stage"],
  ["type", "userKey"],
  ["type", "category", "watches", "watchRatioSum", "completions", "skips"],
  ["type", "videoId", "stage", "category", "impressions", "watchRatio", "completion", "skipRate"],
  ["type", "node", "exposures", "distinctVideos", "categoryCounts", "videoIds", "videoCounts", "ildSum", "feeds"],
  ["type", "videoId", "category", "at"],
  ["members", "watchRatio", "completion", "skipRate"],
  ["type", "model", "version", "metrics"],
  ["type", "subject", "signal", "weight", "at"],
  ["type", "node", "sessions", "videos", "times"],
  ["items", "modelVersion"],
  ["videoId", "score", "reason", "modelVersion", "predictions"],
  ["videoId", "score", "reason", "modelVersion"],
  ["watchRatio", "complete", "rewatch", "continue", "skipFast"],
  ["videoId", "stage", "impressions", "watchMs", "completions", "skips", "likes", "rewatches"],
];

/** Encodes values to bytes and back. One instance per thread; instances on all nodes are compatible. */
export interface Codec {
  encode(value: unknown): Uint8Array;
  decode<T = unknown>(bytes: Uint8Array): T;
}

export function createCodec(): Codec {
  const packr = new Packr({
    structures: SHARED_STRUCTURES.map((s) => s.slice()),
    // Never add shapes at run time: other nodes would not know them.
    maxSharedStructures: SHARED_STRUCTURES.length,
    moreTypes: false,
  });
  return {
    encode(value: unknown): Uint8Array {
      try {
        return packr.pack(value);
      } catch (e) {
        throw new CodecError("cannot encode value", e);
      }
    },
    decode<T>(bytes: Uint8Array): T {
      try {
        return packr.unpack(bytes) as T;
      } catch (e) {
        throw new CodecError(`cannot decode ${bytes.length} bytes`, e);
      }
    },
  };
}

/** Fingerprint of the shared structures; pinned by a test together with PROTOCOL_VERSION. */
export function structuresFingerprint(): string {
  return SHARED_STRUCTURES.map((s) => s.join(",")).join(";");
}
