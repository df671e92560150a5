import { TransportError, type SubscribeOptions, type Subscription, type Transport } from "../../protocols/index.ts";

type Handler = (data: Uint8Array, replyTo?: string) => void;

function matches(pattern: string[], subject: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === ">") return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== "*" && p !== subject[i]) return false;
  }
  return pattern.length === subject.length;
}

/**
 * The in-process message bus behind LocalTransport: the embedded mode's "network", and several nodes in
 * one process for integration tests. NATS subject semantics (`*` one token, `>` the rest); delivery is
 * asynchronous and in publish order, like a real connection.
 */
export class LocalHub {
  private readonly exact = new Map<string, Set<Handler>>();
  private readonly wild: { pattern: string[]; handler: Handler }[] = [];
  /** Queue groups on exact subjects: subject -> group -> members; each message goes to one member. */
  private readonly queues = new Map<string, Map<string, Handler[]>>();
  private queueTurn = 0;
  private queue: { subject: string; data: Uint8Array; replyTo?: string }[] = [];
  private scheduled = false;
  private inboxSeq = 0;

  connect(): LocalTransport {
    return new LocalTransport(this);
  }

  subscribe(subject: string, handler: Handler, queue?: string): Subscription {
    if (queue !== undefined && !subject.includes("*") && !subject.includes(">")) {
      let groups = this.queues.get(subject);
      if (groups === undefined) this.queues.set(subject, (groups = new Map()));
      let members = groups.get(queue);
      if (members === undefined) groups.set(queue, (members = []));
      members.push(handler);
      return {
        unsubscribe: () => {
          const i = members!.indexOf(handler);
          if (i >= 0) members!.splice(i, 1);
          if (members!.length === 0) groups!.delete(queue);
          if (groups!.size === 0) this.queues.delete(subject);
        },
      };
    }
    if (subject.includes("*") || subject.includes(">")) {
      const entry = { pattern: subject.split("."), handler };
      this.wild.push(entry);
      return { unsubscribe: () => void this.wild.splice(this.wild.indexOf(entry) >>> 0, 1) };
    }
    let set = this.exact.get(subject);
    if (set === undefined) this.exact.set(subject, (set = new Set()));
    set.add(handler);
    return {
      unsubscribe: () => {
        set!.delete(handler);
        if (set!.size === 0) this.exact.delete(subject);
      },
    };
  }

  publish(subject: string, data: Uint8Array, replyTo?: string): void {
    this.queue.push({ subject, data, replyTo });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.deliver);
    }
  }

  newInbox(): string {
    return `_INBOX.local.${++this.inboxSeq}`;
  }

  /** Resolves after everything published so far was delivered. */
  flushed(): Promise<void> {
    return new Promise((resolve) => queueMicrotask(() => queueMicrotask(resolve)));
  }

  private readonly deliver = (): void => {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    for (const m of q) {
      const set = this.exact.get(m.subject);
      if (set !== undefined) for (const h of set) h(m.data, m.replyTo);
      const groups = this.queues.get(m.subject);
      if (groups !== undefined) for (const members of groups.values()) members[this.queueTurn++ % members.length]!(m.data, m.replyTo);
      if (this.wild.length > 0) {
        const parts = m.subject.split(".");
        for (const w of this.wild) if (matches(w.pattern, parts)) w.handler(m.data, m.replyTo);
      }
    }
  };
}

/** One node's connection to a LocalHub. */
export class LocalTransport implements Transport {
  private readonly subs = new Set<Subscription>();
  private closed = false;

  constructor(private readonly hub: LocalHub) {}

  publish(subject: string, data: Uint8Array): void {
    if (this.closed) throw new TransportError(`publish on closed transport (${subject})`);
    this.hub.publish(subject, data);
  }

  subscribe(subject: string, onMessage: (data: Uint8Array, replyTo?: string) => void, opts?: SubscribeOptions): Subscription {
    if (this.closed) throw new TransportError(`subscribe on closed transport (${subject})`);
    const inner = this.hub.subscribe(subject, onMessage, opts?.queue);
    const sub: Subscription = {
      unsubscribe: () => {
        inner.unsubscribe();
        this.subs.delete(sub);
      },
    };
    this.subs.add(sub);
    return sub;
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new TransportError(`request on closed transport (${subject})`));
    const inbox = this.hub.newInbox();
    return new Promise((resolve, reject) => {
      const sub = this.hub.subscribe(inbox, (reply) => {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(reply);
      });
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new TransportError(`request to ${subject} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.hub.publish(subject, data, inbox);
    });
  }

  flush(): Promise<void> {
    return this.hub.flushed();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.subs]) s.unsubscribe();
  }
}
