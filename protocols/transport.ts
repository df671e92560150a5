/** A live subscription; `unsubscribe` stops delivery. */
export interface Subscription {
  unsubscribe(): void;
}

/** Options of a subscription. */
export interface SubscribeOptions {
  /** Queue group: subscribers in one group share the messages (each goes to one of them). */
  queue?: string;
}

/**
 * Moves bytes between nodes by subject. Encoding is the codec's job (protocols/codec.ts).
 * Implementations: LocalTransport (in-process, embedded mode) and NatsTransport (cluster mode).
 */
export interface Transport {
  publish(subject: string, data: Uint8Array): void;
  /** With `queue`, each message goes to one subscriber of that queue group (shard hand-off overlap). */
  subscribe(subject: string, onMessage: (data: Uint8Array, replyTo?: string) => void, opts?: SubscribeOptions): Subscription;
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Waits until everything published so far has been handed to the peer. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
