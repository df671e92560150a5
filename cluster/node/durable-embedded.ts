import type { Logger } from "pino";
import { InvalidArgumentError, createCodec, hash32 } from "../../protocols/index.ts";
import { SyntheticFeedCatalog, createRng } from "../../models/index.ts";
import { LmdbDurability } from "../durability/lmdb-event-log.ts";
import { MemoryMembershipTable } from "../membership/membership-table.ts";
import { LocalHub } from "../transport/local-transport.ts";
import { ClusterNode, type ClusterSettings } from "./cluster-node.ts";
import { ClusterFeedBackend } from "./nats-cluster-node.ts";
import type { FeedNode } from "./feed-node.ts";

export interface DurableEmbedded {
  readonly node: ClusterNode;
  readonly durability: LmdbDurability;
  /** The gateway's backend: feeds by ask, interactions and uploads through the LMDB event log. */
  readonly backend: ClusterFeedBackend;
  /** Graceful stop: checkpoints every shard, then closes the log. */
  close(): Promise<void>;
}

/**
 * The embedded node with the cluster's durability guarantee (DESIGN.md §4, embedded mode): one ClusterNode
 * over an in-process transport and a one-member table, its event log, checkpoints and uploads in LMDB at
 * `dir`. Interactions and uploads are committed to the log before the client is acknowledged; on start
 * each shard loads its checkpoint and replays the log after it (also after kill -9), and uploaded videos
 * are put back into the catalog and content index. `feed` must run on a scratch state store: the
 * checkpoints are the state of record.
 */
export async function startDurableEmbedded(o: {
  feed: FeedNode;
  dir: string;
  nodeId: string;
  settings: ClusterSettings & { eventDedupWindowMs?: number };
  log: Logger;
}): Promise<DurableEmbedded> {
  const durability = new LmdbDurability(o.dir, o.settings.eventDedupWindowMs);
  let restored = 0;
  for (const u of durability.storedUploads()) if (o.feed.addVideo(u)) restored++;
  const node = new ClusterNode({
    cluster: "embedded", nodeId: o.nodeId, settings: o.settings, system: o.feed.system, transport: new LocalHub().connect(), codec: createCodec(),
    table: new MemoryMembershipTable(), eventLog: durability.log, checkpoints: durability.checkpoints, log: o.log,
  });
  await node.start();
  await node.shards.whenSettled();
  o.log.child({ module: "durable-embedded" }).info(
    { dir: o.dir, lastSeq: await durability.log.lastSeq(), replayed: node.shards.counters.replayed, uploads: restored }, "event log replayed",
  );
  const catalog = o.feed.feed.catalog;
  const categories = catalog.numCategories;
  const rng = createRng(hash32(o.nodeId) ^ Date.now());
  const backend = new ClusterFeedBackend(o.feed.system, o.nodeId, async (msg) => {
    if (msg.category >= categories) throw new InvalidArgumentError("category", `must be below ${categories} (this catalog's categories)`, msg.category);
    if (!(catalog instanceof SyntheticFeedCatalog)) throw new Error("uploads need the synthetic feed catalog (content vectors by category)");
    const id = catalog.size;
    const u = { id, category: msg.category, authorId: hash32(msg.authorId) & 0x7fffffff, durationMs: msg.durationMs, vector: catalog.vectorFor(msg.category, rng), at: msg.at };
    o.feed.addVideo(u); // now, so a concurrent upload gets the next id
    await durability.putUpload(u);
    return "v" + id;
  });
  return {
    node,
    durability,
    backend,
    async close() {
      await node.shards.checkpointNow();
      await node.crash(); // one member: nothing to hand over
      await durability.close();
    },
  };
}
