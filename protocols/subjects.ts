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
  /** JetStream stream holding a cluster's events. */
  eventStream: (cluster: string): string => `FYP_${token("cluster", cluster).toUpperCase().replace(/-/g, "_")}_EVENTS`,
} as const;
