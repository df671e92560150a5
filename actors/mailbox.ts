/**
 * A bounded FIFO of (message, reply) pairs in one growable ring buffer. It starts small because most
 * actors hold zero or one message, and grows by doubling up to its capacity.
 */
export class Mailbox {
  private buf: unknown[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.buf = new Array(Math.min(2, capacity) * 2);
  }

  get length(): number {
    return this.count;
  }

  /** Appends; false when full (the caller counts and reports the overflow). */
  push(msg: unknown, reply: unknown): boolean {
    if (this.count >= this.capacity) return false;
    const slots = this.buf.length >> 1;
    if (this.count === slots) this.grow();
    const i = ((this.head + this.count) % (this.buf.length >> 1)) << 1;
    this.buf[i] = msg;
    this.buf[i + 1] = reply;
    this.count++;
    return true;
  }

  /** Removes the oldest message; its reply target is then in `lastReply`. */
  shift(): unknown {
    const i = this.head << 1;
    const msg = this.buf[i];
    this.lastReply = this.buf[i + 1];
    this.buf[i] = undefined;
    this.buf[i + 1] = undefined;
    this.head = (this.head + 1) % (this.buf.length >> 1);
    this.count--;
    return msg;
  }

  lastReply: unknown = undefined;

  private grow(): void {
    const slots = this.buf.length >> 1;
    const next = new Array(slots * 4);
    for (let k = 0; k < this.count; k++) {
      const from = ((this.head + k) % slots) << 1;
      next[k * 2] = this.buf[from];
      next[k * 2 + 1] = this.buf[from + 1];
    }
    this.buf = next;
    this.head = 0;
  }
}
