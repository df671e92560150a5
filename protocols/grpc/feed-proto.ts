import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the feed service contract. */
export const FEED_PROTO_PATH = join(dirname(fileURLToPath(import.meta.url)), "feed.proto");

/** Fully qualified name of the feed service. */
export const FEED_SERVICE_NAME = "fyp.v1.FeedService";

/**
 * How @grpc/proto-loader turns wire messages into objects; the generated types in feed-types.ts describe
 * exactly these shapes (camelCase fields, int64 as number, enums as names, unset fields filled in).
 */
export const FEED_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

/** What a client may send: any field may be left out (proto3 fills in defaults). */
export type DeepPartial<T> = T extends readonly (infer E)[]
  ? DeepPartial<E>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | null }
    : T;
