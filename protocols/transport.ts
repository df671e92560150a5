/** A live subscription; `unsubscribe` stops delivery. */
export interface Subscription {
  unsubscribe(): void;
}

/**
 * Moves bytes between nodes by subject. Encoding is the codec's job (protocols/codec.ts).
 * Implementations: LocalTransport (in-process, embedded mode) and NatsTransport (cluster mode).
 */
export interface Transport {
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, onMessage: (data: Uint8Array, replyTo?: string) => void): Subscription;
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Waits until everything published so far has been handed to the peer. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
