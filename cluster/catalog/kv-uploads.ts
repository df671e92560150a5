// The uploads bucket lives with the other JetStream code (one file per client library): durability/jetstream.ts.
export { KvUploadCatalog } from "../durability/jetstream.ts";
export type { UploadRecord } from "../durability/jetstream.ts";
