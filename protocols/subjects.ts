/** NATS subject names, in one place. Cluster names and node ids must be subject-safe tokens. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

function token(what: string, v: string): string {
  if (!TOKEN.test(v)) throw new Error(`${what} "${v}" is not a valid subject token ([A-Za-z0-9_-]+)`);
  return v;
}

export const subjects = {
  /** Messages for shard `s` of a cluster. */
  shard: (cluster: string, shard: number): string => `fyp.${token("cluster", cluster)}.shard.${shard}`,
  /** Wildcard over every shard subject of a cluster. */
  allShards: (cluster: string): string => `fyp.${token("cluster", cluster)}.shard.*`,
  /** A node's inbox for `ask` replies. */
  inbox: (cluster: string, node: string): string => `fyp.${token("cluster", cluster)}.inbox.${token("node", node)}`,
  /** Replicated read-model updates pushed to every node. */
  broadcast: (cluster: string, topic: string): string =>
    `fyp.${token("cluster", cluster)}.bcast.${token("topic", topic)}`,
  /** Control plane: join handshakes, hand-off. */
  control: (cluster: string): string => `fyp.${token("cluster", cluster)}.control`,
  /** Durable events (interactions, uploads) of shard `s`, captured by the event stream. */
  event: (cluster: string, shard: number): string => `fyp.${token("cluster", cluster)}.ev.${shard}`,
  /** Wildcard over every event subject of a cluster (the event stream's subjects). */
  allEvents: (cluster: string): string => `fyp.${token("cluster", cluster)}.ev.*`,
  /** JetStream KV bucket holding membership leases and the cluster record. */
  membersBucket: (cluster: string): string => `fyp_${token("cluster", cluster)}_members`,
  /** JetStream KV bucket holding per-shard checkpoints. */
  checkpointBucket: (cluster: string): string => `fyp_${token("cluster", cluster)}_ckpt`,
  /** JetStream object store holding model versions (`<model>/<version>`, coord/model-sync). */
  modelStore: (cluster: string): string => `fyp_${token("cluster", cluster)}_models`,
  /** JetStream KV bucket naming each model's current version (nodes watch it and hot-swap). */
  modelBucket: (cluster: string): string => `fyp_${token("cluster", cluster)}_model_latest`,
  /** JetStream KV bucket of uploaded videos (`v.<id>`), replicated into every node's catalog. */
  uploadsBucket: (cluster: string): string => `fyp_${token("cluster", cluster)}_uploads`,
  /** JetStream stream holding a cluster's events. */
  eventStream: (cluster: string): string => `FYP_${token("cluster", cluster).toUpperCase().replace(/-/g, "_")}_EVENTS`,
} as const;
