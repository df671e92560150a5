export { LocalHub, LocalTransport } from "./transport/local-transport.ts";
export type { Transport, Subscription } from "./transport/transport.ts";
export { LmdbStateStore } from "./durability/lmdb-state-store.ts";
export { createLogger, silentLogger } from "./logging.ts";
export { createEmbeddedNode } from "./node/embedded-node.ts";
export type { EmbeddedNode, EmbeddedNodeOptions } from "./node/embedded-node.ts";
export { LmdbCatalog, listCatalogDatasets } from "./catalog/lmdb-catalog.ts";
export { NatsTransport } from "./transport/nats-transport.ts";
export type { NatsTransportEvent, NatsTransportOptions } from "./transport/nats-transport.ts";
