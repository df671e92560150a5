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
export class AdmissionControl {
  private inFlightNow = 0;
  private readonly shedCounts: Record<ShedReason, number> = { in_flight: 0, mailbox_backlog: 0, event_loop: 0 };
  private readonly loop: EventLoopDelay | null;
  private readonly loopMinInFlight: number;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly backlog: () => number,
  ) {
    this.loop = limits.maxEventLoopDelayMs > 0 ? new EventLoopDelay() : null;
    this.loopMinInFlight = Math.min(8, limits.maxInFlight);
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
    // A slow event loop with little in flight is not our load (start-up, a GC pause): shedding would not help.
    if (this.loop !== null && this.inFlightNow >= this.loopMinInFlight) {
      const d = this.loop.recentMs();
      if (d > l.maxEventLoopDelayMs) this.refuse(ShedReason.EventLoop, `event-loop delay ${Math.round(d)} ms (limit ${l.maxEventLoopDelayMs})`);
    }
    this.inFlightNow++;
  }

  release(): void {
    this.inFlightNow--;
  }

  close(): void {
    this.loop?.close();
  }

  private refuse(reason: ShedReason, what: string): never {
    this.shedCounts[reason]++;
    throw new OverloadedError(what);
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
