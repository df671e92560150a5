// The one file that uses the uploads KV bucket (the NATS socket comes from NatsTransport.connection).
import { Kvm, type KV } from "@nats-io/kv";
import { StateStoreError, createCodec, errorMessage, subjects, type Codec } from "../../protocols/index.ts";
import type { NatsTransport } from "../transport/nats-transport.ts";

type Connection = NatsTransport["connection"];

/** An uploaded video as every node's catalog and content index need it. */
export interface UploadRecord {
  id: number;
  category: number;
  authorId: number;
  durationMs: number;
  /** The content vector (stored, so every node indexes exactly the same one). */
  vector: Float32Array;
  at: number;
  by: string;
}

const PREFIX = "v.";
const MAX_CLAIM_ATTEMPTS = 1000;

/**
 * The cluster's uploaded videos in the KV bucket `fyp_<cluster>_uploads` (key `v.<id>`): a node handling an
 * upload claims the next free catalog id with a create (fails if another node took it; it tries the next),
 * so ids are unique cluster-wide; every node watches the bucket - all existing records first, then new
 * ones - and adds each video to its catalog replica and ANN index. A node joining later gets every upload.
 */
export class KvUploadCatalog {
  private readonly codec: Codec = createCodec();
  private nextId = 0;
  private watcher: { stop(): void } | undefined;
  /** Told about records that could not be applied (the node logs them). */
  onError: ((msg: string) => void) | undefined;

  private constructor(private readonly kv: KV) {}

  static async open(nc: Connection, cluster: string, replicas = 1): Promise<KvUploadCatalog> {
    try {
      return new KvUploadCatalog(await new Kvm(nc).create(subjects.uploadsBucket(cluster), { history: 1, replicas }));
    } catch (e) {
      throw new StateStoreError(`cannot open the uploads bucket of cluster ${cluster}: ${errorMessage(e)}`, e);
    }
  }

  /**
   * Stores a new video under the lowest id >= `minId` not taken yet (and above every id seen); resolves
   * with the record as stored once JetStream has it.
   */
  async claim(minId: number, rec: Omit<UploadRecord, "id">): Promise<UploadRecord> {
    let id = Math.max(minId, this.nextId);
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++, id++) {
      const full: UploadRecord = { ...rec, id };
      try {
        await this.kv.create(PREFIX + id, this.encode(full));
        this.nextId = Math.max(this.nextId, id + 1);
        return full;
      } catch (e) {
        // taken by another node (wrong last sequence): try the next id; anything else is a failure
        if (!/wrong last sequence|exists/i.test(errorMessage(e))) throw new StateStoreError(`upload ${id} not stored: ${errorMessage(e)}`, e);
      }
    }
    throw new StateStoreError(`no free video id found from ${minId} in ${MAX_CLAIM_ATTEMPTS} attempts`);
  }

  /**
   * Calls `onUpload` for every stored upload, then for each new one; resolves once the existing ones were
   * delivered (a node serves only after it has the whole catalog).
   */
  async watch(onUpload: (r: UploadRecord) => void): Promise<void> {
    const existing = (await this.kv.status()).values;
    const it = await this.kv.watch({ key: PREFIX + ">", ignoreDeletes: true });
    let caughtUp!: () => void;
    const done = new Promise<void>((r) => (caughtUp = r));
    if (existing === 0) caughtUp();
    void (async () => {
      for await (const e of it) {
        if (e.operation === "PUT" && e.value.length > 0) {
          try {
            const r = this.decode(e.value);
            this.nextId = Math.max(this.nextId, r.id + 1);
            onUpload(r);
          } catch (err) {
            this.onError?.(`upload ${e.key} not applied: ${errorMessage(err)}`);
          }
        }
        if (e.delta === 0) caughtUp();
      }
    })();
    this.watcher = { stop: () => it.stop() };
    await done;
  }

  stop(): void {
    this.watcher?.stop();
  }

  private encode(r: UploadRecord): Uint8Array {
    return this.codec.encode({ ...r, vector: new Uint8Array(r.vector.buffer, r.vector.byteOffset, r.vector.byteLength) });
  }

  private decode(b: Uint8Array): UploadRecord {
    const r = this.codec.decode<Omit<UploadRecord, "vector"> & { vector: Uint8Array }>(b);
    // a copy into a fresh, aligned buffer (the decoded bytes may be a view at any offset)
    const v = new Uint8Array(r.vector);
    return { ...r, vector: new Float32Array(v.buffer, 0, v.byteLength / 4) };
  }
}
