import { OverloadedError } from "../../protocols/index.ts";

export interface AdmissionLimits {
  maxInFlight: number;
  maxMailboxBacklog: number;
  /**
   * The event-loop delay admission holds the node under (0 disables the check): a request is refused while
   * the loop's current turn has run longer than this, and the share of arriving requests admitted is lowered
   * while the loop runs more than a third of it late.
   */
  maxEventLoopDelayMs: number;
}

export const ShedReason = { InFlight: "in_flight", MailboxBacklog: "mailbox_backlog", EventLoop: "event_loop" } as const;
export type ShedReason = (typeof ShedReason)[keyof typeof ShedReason];

/** Checks per second below which event-loop delay is not blamed on load (start-up, a pause, a trickle). */
const LOOP_MIN_RATE = 50;

/**
 * Refuses work before latency collapses: a request is admitted only while in-flight requests, the node's
 * mailbox backlog and the event loop's delay are under their limits. Refusing costs microseconds (at the
 * transport's front door, before a call is built); a request queued behind a saturated node costs everyone
 * its latency.
 *
 * Why the event loop and not in-flight alone: a saturated node does not see its queue. Requests wait in the
 * socket and the HTTP/2 session until the loop gets to them, and each is finished soon after it is read, so
 * in flight stays low exactly when the node is drowning. The loop's delay is that queue's wait, seen from
 * inside. It is governed like CoDel governs a queue's sojourn time: a target well under the limit, and
 * control on sustained delay rather than on single spikes (a GC pause is one late tick, not overload).
 */
export class AdmissionControl {
  private inFlightNow = 0;
  private rateWindowStart = performance.now();
  private windowChecks = 0;
  private lastWindowChecks = 0;
  private readonly shedCounts: Record<ShedReason, number> = { in_flight: 0, mailbox_backlog: 0, event_loop: 0 };
  private readonly loop: LoopGovernor | null;

  /** `governor` builds the event-loop governor (tests drive one by hand); default: a real one on a timer. */
  constructor(
    private readonly limits: AdmissionLimits,
    private readonly backlog: () => number,
    governor?: (targetMs: number, underLoad: () => boolean) => LoopGovernor,
  ) {
    const make = governor ?? ((targetMs, underLoad) => new LoopGovernor(targetMs, underLoad));
    this.loop = limits.maxEventLoopDelayMs > 0 ? make(limits.maxEventLoopDelayMs / 3, () => this.underLoad()) : null;
  }

  get inFlight(): number {
    return this.inFlightNow;
  }

  /** The share of arriving requests the event-loop governor admits now (1 when it is off or unconcerned). */
  get admitShare(): number {
    return this.loop?.share ?? 1;
  }

  shed(): Readonly<Record<ShedReason, number>> {
    return this.shedCounts;
  }

  shedTotal(): number {
    return this.shedCounts.in_flight + this.shedCounts.mailbox_backlog + this.shedCounts.event_loop;
  }

  /** Takes an in-flight slot or throws OverloadedError naming the limit; pair with `release()`. */
  admit(): void {
    const refused = this.refusal(false);
    if (refused !== null) throw refused;
    this.inFlightNow++;
  }

  /**
   * The refusal a request gets now (counted as shed), or null when it may go ahead; takes no slot.
   * `arrival` marks the one check made where a request arrives (the transport's front door, before a call is
   * built): only that check applies the governor's admitted share, so a request is not thinned twice.
   */
  refusal(arrival = true): OverloadedError | null {
    const l = this.limits;
    if (this.inFlightNow >= l.maxInFlight) return this.refuse(ShedReason.InFlight, `${this.inFlightNow} requests in flight (limit ${l.maxInFlight})`);
    const backlog = this.backlog();
    if (backlog > l.maxMailboxBacklog) return this.refuse(ShedReason.MailboxBacklog, `${backlog} messages queued in mailboxes (limit ${l.maxMailboxBacklog})`);
    this.windowChecks++;
    if (this.loop !== null && this.underLoad()) {
      const turn = this.loop.turnMs();
      if (turn > l.maxEventLoopDelayMs) return this.refuse(ShedReason.EventLoop, `event loop ${Math.round(turn)} ms behind (limit ${l.maxEventLoopDelayMs})`);
      if (arrival && !this.loop.admitNext()) {
        return this.refuse(ShedReason.EventLoop, `event loop over its ${Math.round(l.maxEventLoopDelayMs / 3)} ms delay target: admitting ${Math.round(this.loop.share * 100)}% of requests`);
      }
    }
    return null;
  }

  release(): void {
    this.inFlightNow--;
  }

  close(): void {
    this.loop?.close();
  }

  /** Real traffic (checks per second over the current or last full second), not a trickle. */
  private underLoad(): boolean {
    const now = performance.now();
    if (now - this.rateWindowStart >= 1000) {
      this.lastWindowChecks = now - this.rateWindowStart < 2000 ? this.windowChecks : 0;
      this.windowChecks = 0;
      this.rateWindowStart = now;
    }
    return Math.max(this.windowChecks, this.lastWindowChecks) >= LOOP_MIN_RATE;
  }

  private refuse(reason: ShedReason, what: string): OverloadedError {
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
    return e;
  }
}

/**
 * The event loop's delay, measured by a 10 ms interval timer noting how late it fires (perf_hooks'
 * monitorEventLoopDelay under-reports a single long block), and the share of arriving requests to admit:
 * cut by a quarter after each tick that, like the tick before it, came later than the target, and raised by
 * 5 points after any other tick (AIMD: under sustained overload the share settles where the loop keeps up
 * with the target; a single late tick, a GC pause, changes nothing). Admission is spread evenly: each
 * arrival adds the share to a credit, and a request is admitted when a whole one is due.
 * `tick` is public so a test can drive the governor with its own times (`autoTick: false`); otherwise an
 * unref'd interval timer drives it, so it never keeps a process alive.
 */
export class LoopGovernor {
  static readonly TICK_MS = 10;
  private last: number;
  private lastLate = false;
  private credit = 0;
  share = 1;
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly targetMs: number,
    private readonly underLoad: () => boolean,
    private readonly now: () => number = () => performance.now(),
    autoTick = true,
  ) {
    this.last = now();
    if (autoTick) {
      this.timer = setInterval(() => this.tick(), LoopGovernor.TICK_MS);
      this.timer.unref();
    }
  }

  /** One timer tick: how late it came decides the admitted share. */
  tick(): void {
    const now = this.now();
    const late = now - this.last - LoopGovernor.TICK_MS > this.targetMs && this.underLoad();
    this.last = now;
    if (late && this.lastLate) this.share *= 0.75;
    else if (!late) this.share = Math.min(1, this.share + 0.05);
    this.lastLate = late;
  }

  /** How far behind the loop is now: the time since the timer last ran, beyond its interval. */
  turnMs(): number {
    return this.now() - this.last - LoopGovernor.TICK_MS;
  }

  admitNext(): boolean {
    if (this.share >= 1) return true;
    this.credit += this.share;
    if (this.credit < 1) return false;
    this.credit -= 1;
    return true;
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }
}
