import { OverloadedError } from "../../protocols/index.ts";

export interface AdmissionLimits {
  maxInFlight: number;
  maxMailboxBacklog: number;
  /** 0 disables the event-loop check. */
  maxEventLoopDelayMs: number;
}

export const ShedReason = { InFlight: "in_flight", MailboxBacklog: "mailbox_backlog", EventLoop: "event_loop" } as const;
export type ShedReason = (typeof ShedReason)[keyof typeof ShedReason];

/**
 * Refuses work before latency collapses: a request is admitted only while in-flight requests, the node's
 * mailbox backlog and the recent event-loop delay are under their limits. Refusing costs microseconds; a
 * request queued behind a saturated node costs everyone its latency.
 */
/** Requests per second below which event-loop delay is not blamed on load. */
const LOOP_MIN_RATE = 50;

export class AdmissionControl {
  private inFlightNow = 0;
  private rateWindowStart = performance.now();
  private windowAdmits = 0;
  private lastWindowAdmits = 0;
  private readonly shedCounts: Record<ShedReason, number> = { in_flight: 0, mailbox_backlog: 0, event_loop: 0 };
  private readonly loop: EventLoopDelay | null;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly backlog: () => number,
  ) {
    this.loop = limits.maxEventLoopDelayMs > 0 ? new EventLoopDelay() : null;
  }

  get inFlight(): number {
    return this.inFlightNow;
  }

  shed(): Readonly<Record<ShedReason, number>> {
    return this.shedCounts;
  }

  shedTotal(): number {
    return this.shedCounts.in_flight + this.shedCounts.mailbox_backlog + this.shedCounts.event_loop;
  }

  /** Takes an in-flight slot or throws OverloadedError naming the limit; pair with `release()`. */
  admit(): void {
    const l = this.limits;
    if (this.inFlightNow >= l.maxInFlight) this.refuse(ShedReason.InFlight, `${this.inFlightNow} requests in flight (limit ${l.maxInFlight})`);
    const backlog = this.backlog();
    if (backlog > l.maxMailboxBacklog) this.refuse(ShedReason.MailboxBacklog, `${backlog} messages queued in mailboxes (limit ${l.maxMailboxBacklog})`);
    // The loop's delay is a decaying average, so one GC pause does not shed for long. It is checked under real
    // traffic (the admission rate, not the in-flight count: a saturated node queues requests in the HTTP/2
    // layer before they reach this point, so in flight stays low exactly when it is drowning); a slow loop
    // with a trickle of requests is start-up or a pause, and shedding would not help.
    const now = performance.now();
    if (now - this.rateWindowStart >= 1000) {
      this.lastWindowAdmits = now - this.rateWindowStart < 2000 ? this.windowAdmits : 0;
      this.windowAdmits = 0;
      this.rateWindowStart = now;
    }
    if (this.loop !== null && Math.max(this.windowAdmits, this.lastWindowAdmits) >= LOOP_MIN_RATE) {
      const d = this.loop.recentMs();
      if (d > l.maxEventLoopDelayMs) this.refuse(ShedReason.EventLoop, `event-loop delay ${Math.round(d)} ms (limit ${l.maxEventLoopDelayMs})`);
    }
    this.inFlightNow++;
    this.windowAdmits++;
  }

  release(): void {
    this.inFlightNow--;
  }

  close(): void {
    this.loop?.close();
  }

  private refuse(reason: ShedReason, what: string): never {
    this.shedCounts[reason]++;
    // A refusal is expected control flow at thousands per second: its stack trace (captured through the async
    // gateway frames) was the largest single cost of shedding a request, and nobody reads it.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let e: OverloadedError;
    try {
      e = new OverloadedError(what);
    } finally {
      Error.stackTraceLimit = limit;
    }
    throw e;
  }
}

/**
 * The event loop's recent delay: a 10 ms interval timer notes how late it fires (perf_hooks'
 * monitorEventLoopDelay under-reports a single long block). The figure decays so one stall does not shed
 * for long; the timer is unref'd so it never keeps a process alive.
 */
class EventLoopDelay {
  private static readonly TICK_MS = 10;
  private last = performance.now();
  private delayMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = Math.max(0, now - this.last - EventLoopDelay.TICK_MS);
      this.last = now;
      this.delayMs = Math.max(late, this.delayMs * 0.5);
    }, EventLoopDelay.TICK_MS);
    this.timer.unref();
  }

  recentMs(): number {
    // A timer that has not fired for a while is itself the measure of how blocked the loop is.
    return Math.max(this.delayMs, performance.now() - this.last - EventLoopDelay.TICK_MS);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
