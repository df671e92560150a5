// The one file that uses the JetStream object store (model versions) and the model pointer KV bucket.
// nats-server 2.9 supports both (object store since 2.6); the NATS socket comes from NatsTransport.connection.
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { StateStoreError, createCodec, errorMessage, subjects, type Codec } from "../../protocols/index.ts";
import type { NatsTransport } from "../transport/nats-transport.ts";

type Connection = NatsTransport["connection"];

/** One stored model version, as the pointer bucket and `versions()` describe it. */
export interface ModelVersionInfo {
  model: string;
  version: string;
  /** The version it was trained from, if any. */
  parent: string | null;
  /** "sparse" or "dense" for scheduled rounds; "push" for an operator's push. */
  kind: string;
  /** Epoch ms it was published. */
  at: number;
  /** Node (or tool) that published it. */
  by: string;
  bytes: number;
  metrics: Record<string, number>;
}

/**
 * Model versions of a cluster: the ONNX bytes in the object store `fyp_<cluster>_models` (object
 * `<model>/<version>`, chunked by the store), and the current version of each model in the KV bucket
 * `fyp_<cluster>_model_latest` (key `<model>`), which every node watches to hot-swap its session.
 * The bytes are stored before the pointer moves, so a node never sees a version it cannot fetch.
 */
export class JetStreamModelStore {
  private readonly codec: Codec = createCodec();
  private constructor(
    private readonly os: ObjectStore,
    private readonly kv: KV,
  ) {}

  static async open(nc: Connection, cluster: string, replicas = 1): Promise<JetStreamModelStore> {
    try {
      const [os, kv] = await Promise.all([
        new Objm(nc).create(subjects.modelStore(cluster), { replicas }),
        new Kvm(nc).create(subjects.modelBucket(cluster), { history: 5, replicas }),
      ]);
      return new JetStreamModelStore(os, kv);
    } catch (e) {
      throw new StateStoreError(`cannot open the model store of cluster ${cluster}: ${errorMessage(e)}`, e);
    }
  }

  /** Stores the version's bytes, then makes it the model's current version (nodes swap to it). */
  async publish(info: Omit<ModelVersionInfo, "bytes" | "at"> & { at?: number }, bytes: Uint8Array): Promise<ModelVersionInfo> {
    const full: ModelVersionInfo = { ...info, at: info.at ?? Date.now(), bytes: bytes.length };
    await this.os.putBlob({ name: `${info.model}/${info.version}`, description: JSON.stringify(full) }, bytes);
    await this.kv.put(info.model, this.codec.encode(full));
    return full;
  }

  /** The model's current version, if one was published. */
  async current(model: string): Promise<ModelVersionInfo | undefined> {
    const e = await this.kv.get(model);
    if (e === null || e.operation !== "PUT" || e.value.length === 0) return undefined;
    return this.codec.decode<ModelVersionInfo>(e.value);
  }

  async fetch(model: string, version: string): Promise<Uint8Array> {
    const b = await this.os.getBlob(`${model}/${version}`);
    if (b === null) throw new StateStoreError(`model ${model} version ${version} is not in the model store`);
    return b;
  }

  /** Every stored version of `model`, oldest first. */
  async versions(model: string): Promise<ModelVersionInfo[]> {
    const out: ModelVersionInfo[] = [];
    for (const o of await this.os.list()) {
      if (!o.name.startsWith(model + "/") || o.deleted) continue;
      try {
        out.push(JSON.parse(o.description ?? "") as ModelVersionInfo);
      } catch {
        // not one of ours
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /**
   * Calls `onVersion` with the model's current version (if any), then with every new one, until `stop`.
   * Delivery is in publish order; the watcher survives reconnects (the KV client re-subscribes).
   */
  async watch(model: string, onVersion: (v: ModelVersionInfo) => void): Promise<{ stop(): void }> {
    const it = await this.kv.watch({ key: model });
    void (async () => {
      for await (const e of it) {
        if (e.operation !== "PUT" || e.value.length === 0) continue;
        onVersion(this.codec.decode<ModelVersionInfo>(e.value));
      }
    })();
    return { stop: () => it.stop() };
  }
}
