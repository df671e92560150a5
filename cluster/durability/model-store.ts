// Model versions live with the other JetStream code (one file per client library): jetstream.ts.
export { JetStreamModelStore } from "./jetstream.ts";
export type { ModelVersionInfo } from "./jetstream.ts";
