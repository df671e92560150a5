// The one file that uses JetStream streams, KV buckets and the object store (the NATS socket comes from
// NatsTransport.connection): the event stream, checkpoints, model versions, uploaded videos. Only features of
// nats-server 2.9 are used: one filter subject per consumer, ordered (ephemeral pull) consumers,
// last-by-subject message lookups, KV, object store (since 2.6).
import { jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { Logger } from "pino";
import { StateStoreError, TransportError, createCodec, errorMessage, subjects, type Codec } from "../../protocols/index.ts";
import type { NatsTransport } from "../transport/nats-transport.ts";
import type { CheckpointStore, EventLog, LogFollower, LoggedEvent, ShardCheckpoint, StoredUpload } from "./event-log.ts";

type Connection = NatsTransport["connection"];

/**
 * Pull expiry of the follower (its idle heartbeat is half of it): a consumer whose server died without our
 * connection noticing is given up after 2 missed heartbeats, i.e. within ~one expiry.
 */
const FOLLOW_EXPIRES_MS = 3_000;
/**
 * JetStream API timeout of a consumer creation's first attempt, growing by CREATE_TIMEOUT_STEP_MS per failed
 * attempt up to CREATE_TIMEOUT_MAX_MS (the client's default). Short on purpose: see `orderedConsumer`.
 */
const CREATE_TIMEOUT_MS = 1_000;
const CREATE_TIMEOUT_STEP_MS = 500;
const CREATE_TIMEOUT_MAX_MS = 5_000;
/** Wait after a creation that failed fast (no JetStream leader yet), doubling up to the max. */
const RETRY_WAIT_MS = 100;
const RETRY_WAIT_MAX_MS = 1_000;
/** Attempts of a creation that has a caller to report to (the node's first follower, a shard's replay). */
const CREATE_ATTEMPTS = 30;
/** Timeout of a direct get, and the follower bridge's wait when the stream has nothing newer. */
const DIRECT_TIMEOUT_MS = 300;
const BRIDGE_POLL_MS = 25;
/** Direct gets in a row without an answer after which a bridge beside a consumer leaves it to the watchdog. */
const BRIDGE_FAILURES = 3;
/** A follower that delivered nothing for this long looks for newer events by direct get (see `follow`). */
const STALL_MS = 1_000;
/** Timeout of the check that the follower's consumer outlived a reconnect. */
const ALIVE_TIMEOUT_MS = 1_000;

/** `p`, or a rejection after `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function shardOfSubject(subject: string): number {
  return Number(subject.slice(subject.lastIndexOf(".") + 1));
}

/** The cluster's event stream (`FYP_<CLUSTER>_EVENTS`, subjects `fyp.<cluster>.ev.<shard>`, file storage). */
export class JetStreamEventLog implements EventLog {
  private readonly followers = new Set<LogFollower>();

  /** Direct gets (any replica answers; no consumer, no JetStream meta leader involved). */
  private readonly direct: JetStreamManager["direct"];

  private constructor(
    private readonly nc: Connection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly cluster: string,
    private readonly stream: string,
    private readonly log: Logger,
    direct: JetStreamManager,
    /** The stream answers direct gets (`allow_direct`); without it the follower has no bridge. */
    private readonly directAllowed: boolean,
  ) {
    this.direct = direct.direct;
  }

  /**
   * Opens the stream, creating it if it does not exist yet (every node does this; creation is idempotent).
   * The stream allows direct gets (a stream created before that is updated to allow them): the follower
   * reads through them while its consumer cannot be re-created (see `follow`).
   */
  static async open(nc: Connection, o: { cluster: string; maxAgeMs: number; dedupWindowMs?: number; replicas?: number; log: Logger }): Promise<JetStreamEventLog> {
    const jsm = await jetstreamManager(nc);
    const stream = subjects.eventStream(o.cluster);
    const config = {
      name: stream, subjects: [subjects.allEvents(o.cluster)], max_age: o.maxAgeMs * 1_000_000, num_replicas: o.replicas ?? 1,
      // Appends carrying a Nats-Msg-Id already stored within this window are not stored again.
      duplicate_window: Math.min(o.dedupWindowMs ?? 120_000, o.maxAgeMs) * 1_000_000,
      allow_direct: true,
    };
    const log = o.log.child({ module: "event-log" });
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(stream);
    } catch {
      try {
        info = await jsm.streams.add(config);
      } catch (e) {
        // Another node created it in between.
        info = await jsm.streams.info(stream).catch(() => {
          throw new StateStoreError(`cannot create event stream ${stream}: ${errorMessage(e)}`, e);
        });
      }
    }
    let directAllowed = info.config.allow_direct === true;
    if (!directAllowed) {
      try {
        directAllowed = (await jsm.streams.update(stream, { allow_direct: true })).config.allow_direct === true;
      } catch (e) {
        log.warn({ stream, err: errorMessage(e) }, "event stream does not allow direct gets (the follower has no bridge while its consumer is re-created)");
      }
    }
    const direct = await jetstreamManager(nc, { timeout: DIRECT_TIMEOUT_MS, checkAPI: false });
    return new JetStreamEventLog(nc, jetstream(nc), jsm, o.cluster, stream, log, direct, directAllowed);
  }

  /**
   * Resolves once the stream stored the event. A failure (no ack while the server is away, a timeout) is a
   * retryable TransportError, which the gateway answers as UNAVAILABLE: the client was not acknowledged
   * and may retry (the event may still have been stored: at-least-once for unacknowledged calls).
   */
  async append(shard: number, data: Uint8Array, msgId?: string): Promise<number> {
    try {
      const ack = await this.js.publish(subjects.event(this.cluster, shard), data, msgId === undefined ? undefined : { msgID: msgId });
      // A duplicate (ack.duplicate) carries the sequence of the copy stored first.
      return ack.seq;
    } catch (e) {
      throw new TransportError(`event log append (shard ${shard}) not acknowledged: ${errorMessage(e)}`, e);
    }
  }

  /**
   * An ordered consumer of the stream from `startSeq` (subjects `filter`), retried until created. A creation
   * can go unanswered for as long as one server of a NATS cluster is down: nats-server 2.9 places the R1
   * consumer on any peer of the (replicated) stream, the dead one included, and that request then times out
   * (measured: 1 attempt in 3 with one of three servers killed, for the whole outage). With the client's
   * 5 s timeout a follower needed 5 s per unlucky attempt (26 s once under load) while acknowledged events
   * waited unapplied. Each attempt is a new placement, so attempts are short and repeated: the first waits
   * CREATE_TIMEOUT_MS, later ones a little longer (a loaded server may answer slowly but does answer).
   * `go()` false ends the retries (the follower stopped); after `maxAttempts` the last error is thrown.
   */
  private async orderedConsumer(startSeq: number, filter: string, o: { go: () => boolean; maxAttempts: number; what: string }): Promise<Consumer> {
    const t0 = performance.now();
    let wait = RETRY_WAIT_MS;
    for (let attempt = 1; ; attempt++) {
      const timeout = Math.min(CREATE_TIMEOUT_MAX_MS, CREATE_TIMEOUT_MS + (attempt - 1) * CREATE_TIMEOUT_STEP_MS);
      const a = performance.now();
      try {
        const c = await jetstream(this.nc, { timeout }).consumers.get(this.stream, { opt_start_seq: startSeq, filter_subjects: filter });
        if (attempt > 1) this.log.info({ what: o.what, from: startSeq, attempts: attempt, ms: Math.round(performance.now() - t0) }, "event log consumer created after retries");
        return c;
      } catch (e) {
        if (!o.go()) throw e;
        if (attempt >= o.maxAttempts) {
          this.log.error({ what: o.what, from: startSeq, attempts: attempt, err: errorMessage(e) }, "event log consumer could not be created");
          throw e;
        }
        // the first failure, then one line per 10 attempts (an outage of minutes is not a log flood)
        if (attempt === 1 || attempt % 10 === 0) this.log.warn({ what: o.what, from: startSeq, attempt, timeoutMs: timeout, err: errorMessage(e) }, "event log consumer not created yet; retrying");
        // A timeout already waited; a fast failure (no JetStream leader yet) waits a little, growing.
        const spent = performance.now() - a;
        if (spent < timeout / 2) {
          await new Promise((r) => setTimeout(r, wait));
          wait = Math.min(RETRY_WAIT_MAX_MS, wait * 2);
        }
        if (!o.go()) throw e;
      }
    }
  }

  async lastSeq(): Promise<number> {
    return (await this.jsm.streams.info(this.stream)).state.last_seq;
  }

  /**
   * Follows the whole stream from `fromSeq` with an ordered consumer, delivering each sequence once, in order.
   *
   * When the consumer is lost (it ended, missed heartbeats because its server of a NATS cluster died, or
   * did not survive a reconnect) it is re-created from the next sequence not yet delivered, retrying for as
   * long as the follower runs: a follower that gave up would leave every event acknowledged from then on
   * unapplied on this node. Re-creation needs the JetStream meta leader, which after a server death takes
   * seconds to answer (measured: ~5-6 s on a quiet machine, more under load, while appends already succeed),
   * so meanwhile a bridge reads on through direct gets, which any live replica of the stream answers: the
   * events acknowledged meanwhile are applied without waiting for the new consumer. A consumer that
   * outlived a reconnect (it lives on a server still up) is kept. Sequences below the next one to deliver
   * are skipped, so the bridge, a consumer that recovers by itself and its replacement deliver nothing twice.
   */
  async follow(fromSeq: number, onEvent: (e: LoggedEvent) => void): Promise<LogFollower> {
    let next = Math.max(1, fromSeq);
    let stopped = false;
    /** `lastMsg`: when the consumer last yielded a message (delivered or skipped: either way it is alive). */
    type Current = { consumer: Consumer; stop(): void; done: Promise<void>; ended: boolean; lastMsg: number };
    let current = null as Current | null;
    let reopening = false;
    /** A replacement asked for while one was being made (the new consumer failed at once): make another. */
    let again: string | undefined;
    let bridging = false;
    let lastDelivery = performance.now();
    const go = () => !stopped;
    const filter = subjects.allEvents(this.cluster);
    const deliver = (seq: number, subject: string, data: Uint8Array): void => {
      if (seq < next) return;
      next = seq + 1;
      lastDelivery = performance.now();
      onEvent({ seq, shard: shardOfSubject(subject), data });
    };
    /**
     * Reads on by direct gets: while there is no consumer, until one is set again; while there is one (it
     * delivered nothing for STALL_MS), until the stream has nothing newer.
     */
    const bridge = async (): Promise<void> => {
      if (bridging || !this.directAllowed) return;
      bridging = true;
      const beside = current;
      const startedAt = performance.now();
      let n = 0;
      let failures = 0;
      let unanswered = 0;
      try {
        while (!stopped) {
          let m: Awaited<ReturnType<JetStreamManager["direct"]["getMessage"]>> = null;
          let failed = false;
          try {
            m = await this.direct.getMessage(this.stream, { seq: next, next_by_subj: filter });
          } catch {
            failed = true; // no replica answered in time (that waited DIRECT_TIMEOUT_MS already)
          }
          if (m !== null) {
            failures = 0;
            if (!stopped && m.seq >= next) {
              deliver(m.seq, m.subject, m.data);
              n++;
            }
            continue;
          }
          // Caught up, or no answer a few times in a row: the consumer goes on; the watchdog looks again.
          if (failed) unanswered++;
          if (current !== null && (!failed || ++failures >= BRIDGE_FAILURES)) break;
          if (!failed) await new Promise((r) => setTimeout(r, BRIDGE_POLL_MS));
        }
      } finally {
        bridging = false;
        if (n > 0 || unanswered > 0) this.log.info({ events: n, unanswered, next, consumer: current !== null }, "event follower bridged by direct gets");
        // The consumer beside it was silent while there were events. A live one yields them (as duplicates)
        // soon; one that yields nothing for STALL_MS more is stuck (seen after reconnects: the client
        // re-checks it with backoff, pulling nothing meanwhile): replace it.
        if (n > 0 && beside !== null && current === beside && !stopped) {
          setTimeout(() => {
            if (!stopped && current === beside && beside.lastMsg < startedAt) void reopen("consumer stalled");
          }, STALL_MS).unref?.();
        }
      }
    };
    // A consumer can stall without ending or missing heartbeats for a while (after a reconnect the client
    // re-checks it with backoff); the follower then reads on by direct get instead of waiting for it.
    const watchdog = setInterval(() => {
      if (!stopped && performance.now() - lastDelivery >= STALL_MS) void bridge();
    }, STALL_MS / 2);
    watchdog.unref?.();
    const open = async (maxAttempts: number, why: string): Promise<void> => {
      const consumer = await this.orderedConsumer(next, filter, { go, maxAttempts, what: `follower (${why})` });
      const messages = await consumer.consume({ expires: FOLLOW_EXPIRES_MS });
      if (stopped) {
        messages.stop();
        return;
      }
      const self: Current = { consumer, stop: () => messages.stop(), done: Promise.resolve(), ended: false, lastMsg: performance.now() };
      self.done = (async () => {
        try {
          for await (const m of messages) {
            self.lastMsg = performance.now();
            deliver(m.seq, m.subject, m.data);
          }
        } catch (e) {
          if (!stopped) this.log.warn({ err: errorMessage(e), next }, "event follower's consumer failed");
        }
        self.ended = true;
        // Ended on its own (consumer lost, e.g. its server of a NATS cluster died): open a new one.
        if (!stopped && current === self) void reopen("consumer ended");
      })();
      // A consumer whose server went away (NATS cluster) stays silent without ending: missed heartbeats say so.
      void (async () => {
        for await (const s of messages.status()) {
          if (s.type === "heartbeats_missed" && s.count >= 2 && !stopped && current === self) {
            void reopen("heartbeats missed");
            break;
          }
        }
      })().catch(() => undefined);
      current = self;
    };
    /** Replaces the consumer with one from the next sequence not yet delivered; retries until the follower stops. */
    const reopen = async (why: string): Promise<void> => {
      if (stopped) return;
      if (reopening) {
        again = why;
        return;
      }
      reopening = true;
      try {
        for (let reason: string | undefined = why; reason !== undefined && !stopped; ) {
          again = undefined;
          const old = current;
          current = null;
          old?.stop();
          await old?.done;
          void bridge();
          const t0 = performance.now();
          try {
            await open(Number.POSITIVE_INFINITY, reason);
            this.log.info({ next, why: reason, ms: Math.round(performance.now() - t0) }, reason === "reconnect" ? "event follower resumed after reconnect" : "event follower resumed");
          } catch (e) {
            if (!stopped) {
              this.log.error({ err: errorMessage(e), next, why: reason }, "event follower could not resume");
              await new Promise((r) => setTimeout(r, RETRY_WAIT_MAX_MS));
            }
          }
          // the consumer just opened ended (or missed heartbeats) before this loop was done with it
          const cur = current as Current | null; // set by open()
          reason = again ?? (cur === null || cur.ended ? reason : undefined);
        }
      } finally {
        reopening = false;
      }
    };
    /** After a reconnect: keeps the consumer if its server still has it, else replaces it. */
    const checkAfterReconnect = async (): Promise<void> => {
      const cur = current;
      if (cur !== null && !cur.ended && !reopening) {
        try {
          await withTimeout(cur.consumer.info(), ALIVE_TIMEOUT_MS);
          if (current === cur && !cur.ended) {
            this.log.info({ next }, "event follower's consumer outlived the reconnect");
            return;
          }
        } catch {
          // gone with its server (not found, or no answer): replace it
        }
      }
      await reopen("reconnect");
    };
    try {
      await open(CREATE_ATTEMPTS, "start");
    } catch (e) {
      stopped = true;
      clearInterval(watchdog);
      throw e;
    }
    const status = this.nc.status() as AsyncIterable<{ type: string }> & { stop?: () => void };
    const watching = (async () => {
      for await (const s of status) {
        if (stopped) break;
        if (s.type === "reconnect") await checkAfterReconnect();
      }
    })();
    const f: LogFollower = {
      stop: async () => {
        stopped = true;
        clearInterval(watchdog);
        this.followers.delete(f);
        status.stop?.();
        current?.stop();
        await current?.done;
        void watching;
      },
    };
    this.followers.add(f);
    return f;
  }

  /**
   * Delivers the shard's events after `afterSeq` that exist now. A failed lookup of the shard's newest
   * event is an error, never "nothing to replay": taking a shard over without its events since the
   * checkpoint would lose acknowledged ones (the caller retries).
   */
  async replay(shard: number, afterSeq: number, onEvent: (e: LoggedEvent) => void): Promise<number> {
    const subject = subjects.event(this.cluster, shard);
    // One lookup tells whether there is anything to replay: most shards have nothing newer than their checkpoint.
    const last = await this.jsm.streams.getMessage(this.stream, { last_by_subj: subject });
    if (last === null || last.seq <= afterSeq) return 0;
    const consumer = await this.orderedConsumer(afterSeq + 1, subject, { go: () => true, maxAttempts: CREATE_ATTEMPTS, what: `replay of shard ${shard}` });
    const messages = await consumer.consume();
    let n = 0;
    try {
      for await (const m of messages) {
        onEvent({ seq: m.seq, shard, data: m.data });
        n++;
        if (m.seq >= last.seq) break;
      }
    } finally {
      messages.stop();
    }
    return n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.followers].map((f) => f.stop()));
  }
}

/** Checkpoint bodies above this size are split over several KV values (NATS max payload is 1 MiB). */
const CHUNK_BYTES = 512 * 1024;

interface CheckpointHeader {
  seq: number;
  by: string;
  at: number;
  gen: number;
  parts: number;
  /** The body itself when it fits in one value. */
  body?: Uint8Array;
}

/**
 * Shard checkpoints in the KV bucket `fyp_<cluster>_ckpt`: key `s<shard>` holds a header (sequence, writer,
 * time) and the encoded actor states, or, for large shards, the number of parts written first under
 * `s<shard>.g<gen>.<i>` (a reader never sees a header whose parts are missing).
 */
export class KvCheckpointStore implements CheckpointStore {
  private readonly codec: Codec = createCodec();

  private constructor(private readonly kv: KV) {}

  static async open(nc: Connection, cluster: string, replicas = 1): Promise<KvCheckpointStore> {
    const kv = await new Kvm(nc).create(subjects.checkpointBucket(cluster), { history: 1, replicas });
    return new KvCheckpointStore(kv);
  }

  async load(shard: number): Promise<ShardCheckpoint | undefined> {
    const e = await this.kv.get(`s${shard}`);
    if (e === null || e.operation !== "PUT" || e.value.length === 0) return undefined;
    const h = this.codec.decode<CheckpointHeader>(e.value);
    let body = h.body;
    if (body === undefined) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < h.parts; i++) {
        const p = await this.kv.get(`s${shard}.g${h.gen}.${i}`);
        if (p === null || p.operation !== "PUT") throw new StateStoreError(`checkpoint of shard ${shard} misses part ${i} of ${h.parts}`);
        parts.push(p.value);
      }
      body = Buffer.concat(parts);
    }
    return { seq: h.seq, by: h.by, at: h.at, actors: this.codec.decode<[string, Uint8Array][]>(body) };
  }

  async save(shard: number, cp: ShardCheckpoint): Promise<void> {
    const body = this.codec.encode(cp.actors);
    const header: CheckpointHeader = { seq: cp.seq, by: cp.by, at: cp.at, gen: cp.at, parts: 1 };
    if (body.length <= CHUNK_BYTES) header.body = body;
    else {
      header.parts = Math.ceil(body.length / CHUNK_BYTES);
      for (let i = 0; i < header.parts; i++) await this.kv.put(`s${shard}.g${header.gen}.${i}`, body.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES));
    }
    const prev = await this.kv.get(`s${shard}`).catch(() => null);
    await this.kv.put(`s${shard}`, this.codec.encode(header));
    if (prev !== null && prev.operation === "PUT" && prev.value.length > 0) {
      const old = this.codec.decode<CheckpointHeader>(prev.value);
      if (old.body === undefined && old.gen !== header.gen) for (let i = 0; i < old.parts; i++) await this.kv.purge(`s${shard}.g${old.gen}.${i}`).catch(() => {});
    }
  }

  async shards(): Promise<Set<number>> {
    const out = new Set<number>();
    for await (const k of await this.kv.keys()) if (/^s\d+$/.test(k)) out.add(Number(k.slice(1)));
    return out;
  }

  async close(): Promise<void> {}
}

// ---- model versions (coord/model-sync): object store + current-version KV bucket -----------------------

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

// ---- uploaded videos, replicated into every node's catalog --------------------------------------------

/** An uploaded video as every node's catalog and content index need it, and the node that took the upload. */
export interface UploadRecord extends StoredUpload {
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
