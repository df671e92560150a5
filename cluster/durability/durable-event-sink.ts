import { createHash } from "node:crypto";
import { ActorKind, actorId, shardOf, type Codec } from "../../protocols/index.ts";
import type { AcceptedEvent, EventSink } from "../gateway/event-sink.ts";
import type { EventLog } from "./event-log.ts";
import type { DurableEvent } from "../sharding/shard-manager.ts";

/**
 * The cluster's EventSink: an accepted event is appended to the event log (JetStream) and the client is
 * acknowledged only once the log has it. Delivery to the actor is the log's job: the owner of the
 * event's shard applies it, exactly once, also after a fail-over (checkpoint + replay).
 */
export class DurableEventSink implements EventSink {
  appended = 0;
  /** The highest log sequence an append through this sink was acknowledged with (0 before the first). */
  lastSeq = 0;
  constructor(
    private readonly log: EventLog,
    private readonly codec: Codec,
    private readonly numShards: number,
  ) {}

  async append(event: AcceptedEvent): Promise<void> {
    const to = event.kind === "session" ? actorId(ActorKind.Session, event.userId) : actorId(ActorKind.Video, event.videoId);
    const body: DurableEvent = { to, msg: event.msg };
    const seq = await this.log.append(shardOf(to, this.numShards), this.codec.encode(body), event.eventId === undefined ? undefined : msgIdOf(event.eventId));
    if (seq > this.lastSeq) this.lastSeq = seq;
    this.appended++;
  }
}

/** The log's message id of an event id (a fixed-size header however long the client's id is). */
export function msgIdOf(eventId: string): string {
  return createHash("sha1").update(eventId).digest("base64url");
}
