import { performance as perfHooks } from "node:perf_hooks";
import { OverloadedError } from "../../protocols/index.ts";

export interface AdmissionLimits {
  /** The most requests in flight ever admitted (a cap over the sized limit below). */
  maxInFlight: number;
  /**
   * Under sustained pressure the in-flight limit is sized to this much queued work: `inFlightBudgetMs` / the
   * measured service time per request (never below MIN_IN_FLIGHT, never above `maxInFlight`; see
   * `inFlightLimit`); 0 leaves the limit at `maxInFlight`.
   */
  inFlightBudgetMs: number;
  maxMailboxBacklog: number;
  /**
   * Event-loop delay governance (0 disables it): while the loop has run more than a third of this late for a
   * whole interval (a standing queue, not one stall), the share of arriving requests admitted is lowered.
   */
  maxEventLoopDelayMs: number;
}

export const ShedReason = { InFlight: "in_flight", MailboxBacklog: "mailbox_backlog", EventLoop: "event_loop", Stale: "stale" } as const;
export type ShedReason = (typeof ShedReason)[keyof typeof ShedReason];

/** Checks per second below which event-loop delay is not blamed on load (start-up, a pause, a trickle). */
const LOOP_MIN_RATE = 50;

/**
 * Offered load (arrivals per ms x measured service ms; 1 = all of the loop) from which delay is blamed on
 * requests. Below it a late loop is a stall by other work (GC, a background flush) followed by a backlog the
 * node has the capacity to clear: nothing is shed for it.
 */
const OVERLOAD_LOAD = 0.8;

/**
 * Offered load from which a single stall is blamed on requests too (the stale check, the sized limit right after
 * a stall): the node clears less than arrives, so a backlog is never caught up. Between OVERLOAD_LOAD and this
 * the measured service time is too rough to tell (it spreads background work over the requests, so it reads high
 * right after a step up from a lower rate): only sustained delay counts there.
 */
const SATURATED_LOAD = 1;

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
  /** The sized in-flight limit never goes below this (a loaded machine's slow turns must not starve a node). */
  static readonly MIN_IN_FLIGHT = 16;
  private inFlightNow = 0;
  private sendingNow = 0;
  private readonly service: ServiceTime;
  private rateWindowStart: number;
  private windowChecks = 0;
  private lastWindowChecks = 0;
  /** Requests that arrived (front-door checks, refused ones too) in the current window; the last window's per second. */
  private windowArrivals = 0;
  private lastArrivalRate = 0;
  private readonly shedCounts: Record<ShedReason, number> = { in_flight: 0, mailbox_backlog: 0, event_loop: 0, stale: 0 };
  private readonly loop: LoopGovernor | null;

  /**
   * `governor` builds the event-loop governor and `service` the service-time meter (tests drive both by hand);
   * default: a real governor on a timer and a meter on the event loop's utilisation.
   */
  constructor(
    private readonly limits: AdmissionLimits,
    private readonly backlog: () => number,
    governor?: (targetMs: number, underLoad: () => boolean) => LoopGovernor,
    service?: ServiceTime,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.rateWindowStart = now();
    const make = governor ?? ((targetMs, underLoad) => new LoopGovernor(targetMs, underLoad));
    this.loop = limits.maxEventLoopDelayMs > 0 ? make(limits.maxEventLoopDelayMs / 3, () => this.underLoad() && this.overloaded()) : null;
    this.service = service ?? new ServiceTime();
  }

  /** Requests admitted and not yet answered: being worked on, or answered with the answer still being sent. */
  get inFlight(): number {
    return this.inFlightNow + this.sendingNow;
  }

  /**
   * The in-flight limit now: the requests whose work fits in `inFlightBudgetMs` at the measured service time
   * (Little's law: a queue of N requests at S ms each is drained in N*S ms), within [MIN_IN_FLIGHT, maxInFlight];
   * `maxInFlight` until a service time is measured. The sized limit holds while the event-loop governor sees
   * sustained pressure (LoopGovernor.pressed) with the offered load near capacity (OVERLOAD_LOAD), or right after
   * the loop was held past its target (LoopGovernor.stalled) with the node saturated (SATURATED_LOAD), as adaptive
   * queue timeouts do: a node whose loop was idle within the last interval and that clears more than arrives
   * takes a burst (the requests that queued in its socket while a GC pause or a background task held the loop)
   * up to `maxInFlight`, since it can catch up; one that cannot admits no more per turn than it clears in budget
   * (requests read together are in flight together: the answers go out at the end of the turn). Without the
   * governor (`maxEventLoopDelayMs` 0) the limit is `maxInFlight`.
   */
  get inFlightLimit(): number {
    const l = this.limits;
    const ms = this.service.perRequestMs;
    if (l.inFlightBudgetMs <= 0 || ms === null || this.loop === null) return l.maxInFlight;
    const pressed = this.loop.pressed;
    if (!pressed && !this.loop.stalled) return l.maxInFlight; // the common case: no rate to work out
    const load = this.arrivalsPerMs() * ms;
    if (load < (pressed ? OVERLOAD_LOAD : SATURATED_LOAD)) return l.maxInFlight;
    return Math.min(l.maxInFlight, Math.max(AdmissionControl.MIN_IN_FLIGHT, Math.floor(l.inFlightBudgetMs / ms)));
  }

  /** The measured service time (event-loop busy ms per request), null before enough requests. */
  get serviceMs(): number | null {
    return this.service.perRequestMs;
  }

  /** The share of arriving requests the event-loop governor admits now (1 when it is off or unconcerned). */
  get admitShare(): number {
    return this.loop?.share ?? 1;
  }

  shed(): Readonly<Record<ShedReason, number>> {
    return this.shedCounts;
  }

  shedTotal(): number {
    let n = 0;
    for (const reason of Object.values(ShedReason)) n += this.shedCounts[reason];
    return n;
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
    if (arrival) {
      this.windowArrivals++;
      this.loop?.arrived();
      const waited = this.staleWaitMs();
      if (waited !== null) {
        return this.refuse(ShedReason.Stale, `read about ${Math.round(waited)} ms after it arrived (event loop held ${Math.round(this.loop!.heldMs)} ms; limit ${l.maxEventLoopDelayMs} ms)`);
      }
    }
    const limit = this.inFlightLimit;
    const inFlight = this.inFlightNow + this.sendingNow;
    if (inFlight >= limit) {
      if (limit < l.maxInFlight) this.loop?.holdPressure();
      return this.refuse(ShedReason.InFlight, `${inFlight} requests in flight (limit ${limit})`);
    }
    const backlog = this.backlog();
    if (backlog > l.maxMailboxBacklog) return this.refuse(ShedReason.MailboxBacklog, `${backlog} messages queued in mailboxes (limit ${l.maxMailboxBacklog})`);
    this.windowChecks++;
    if (arrival && this.loop !== null && this.underLoad() && !this.loop.admitNext()) {
      return this.refuse(ShedReason.EventLoop, `event loop over its ${Math.round(l.maxEventLoopDelayMs / 3)} ms delay target: admitting ${Math.round(this.loop.share * 100)}% of requests`);
    }
    return null;
  }

  /** The end of an admitted request's work (its answer, if any, is then sent: see `sending`). */
  release(): void {
    this.inFlightNow--;
    this.service.completed();
  }

  /**
   * An answer handed to the transport but not yet sent (e.g. held by the client's HTTP/2 flow control): it
   * stays in flight until the returned function is called (once; later calls do nothing). A client that stops
   * reading thus fills the in-flight limit and new work is refused, instead of answers queueing unseen.
   */
  sending(): () => void {
    this.sendingNow++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.sendingNow--;
    };
  }

  close(): void {
    this.loop?.close();
  }

  /**
   * The load offered: requests arriving per ms (over the last full second, or the current one once 250 ms
   * in, whichever is higher) times the measured service time; null before one is measured.
   */
  get offeredLoad(): number | null {
    const ms = this.service.perRequestMs;
    return ms === null ? null : this.arrivalsPerMs() * ms;
  }

  /**
   * How long the request arriving now has likely waited to be read, when that is over `maxEventLoopDelayMs`
   * and the node is saturated (measured, SATURATED_LOAD): null otherwise. After the loop was held (a GC pause,
   * a long turn), the requests that queued meanwhile are read oldest first: the k-th read since the loop's last
   * timer tick arrived about k / (arrivals per ms) after the loop was last free, so it waited the time since then
   * minus that. A node that cannot clear the whole backlog answers the freshest (adaptive LIFO in effect: the oldest
   * would be slow anyway and delay everything read after them); one with capacity to spare serves them all.
   */
  private staleWaitMs(): number | null {
    const loop = this.loop;
    const ms = this.service.perRequestMs;
    if (loop === null || ms === null) return null;
    const held = loop.heldMs;
    const limit = this.limits.maxEventLoopDelayMs;
    if (held <= limit) return null;
    const perMs = this.arrivalsPerMs();
    if (perMs * ms < SATURATED_LOAD || !this.underLoad()) return null;
    const waited = held - loop.arrivalsSinceTick / perMs;
    return waited > limit ? waited : null;
  }

  /**
   * Arrivals per ms: the highest of the last full second's rate, the current second's once 250 ms in, and the
   * last ~100 ms of the governor's ticks (LoopGovernor.recentPerMs). The last reacts to a step up in load in
   * ~100 ms: with only the seconds, a node that went from 1,500 to 5,000 req/s took ~300 ms to see it, and
   * meanwhile each turn admitted all that arrived during the one before (at 2.5x the work), up to turns of
   * 235 ms.
   */
  private arrivalsPerMs(): number {
    const now = this.now();
    this.roll(now);
    const elapsed = now - this.rateWindowStart;
    const current = elapsed >= 250 ? this.windowArrivals / elapsed : 0;
    return Math.max(current, this.lastArrivalRate / 1000, this.loop?.recentPerMs() ?? 0);
  }

  /** Arrivals near or over what the node clears (or no service time measured yet: assume so). */
  private overloaded(): boolean {
    const load = this.offeredLoad;
    return load === null || load >= OVERLOAD_LOAD;
  }

  private roll(now: number): void {
    const len = now - this.rateWindowStart;
    if (len < 1000) return;
    this.lastWindowChecks = len < 2000 ? this.windowChecks : 0;
    this.lastArrivalRate = len < 2000 ? (this.windowArrivals * 1000) / len : 0;
    this.windowChecks = 0;
    this.windowArrivals = 0;
    this.rateWindowStart = now;
  }

  /** Real traffic (checks per second over the current or last full second), not a trickle. */
  private underLoad(): boolean {
    this.roll(this.now());
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
 * monitorEventLoopDelay under-reports a single long block), governed like CoDel governs a queue's sojourn
 * time: the share of arriving requests admitted is cut (by a quarter) only when every tick for a whole
 * INTERVAL_MS came later than the target, a standing queue of work the loop cannot get through, and again
 * after each further such interval. One stall (a GC pause, a flush) and the burst read after it leave the loop
 * on time again within the interval and change nothing. Each on-time tick raises the share by 5 points (AIMD:
 * under sustained overload the share settles where the loop keeps up with the target). Admission is spread
 * evenly: each arrival adds the share to a credit, and a request is admitted when a whole one is due.
 * `tick` is public so a test can drive the governor with its own times (`autoTick: false`); otherwise an
 * unref'd interval timer drives it, so it never keeps a process alive.
 */
export class LoopGovernor {
  static readonly TICK_MS = 10;
  static readonly INTERVAL_MS = 100;
  static readonly HOLD_MS = 500;
  /** The span `recentPerMs` measures arrivals over, and the tick intervals kept for it. */
  static readonly RECENT_MS = 100;
  static readonly RECENT = 32;
  private last: number;
  /** The last RECENT tick intervals: their lengths (ms) and the requests that arrived in each, a ring. */
  private readonly spans = new Float64Array(LoopGovernor.RECENT);
  private readonly counts = new Float64Array(LoopGovernor.RECENT);
  private ticks = 0;
  /** How late the last tick came (ms past TICK_MS): the loop was held that long before it. */
  private lastLate = 0;
  /** Requests arrived (front-door checks) since the last tick. */
  arrivalsSinceTick = 0;
  private heldAt = -Infinity;
  /** When the ticks started coming late (null while on time). */
  private lateSince: number | null = null;
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
    this.lastLate = Math.max(0, now - this.last - LoopGovernor.TICK_MS);
    const i = this.ticks++ % LoopGovernor.RECENT;
    this.spans[i] = now - this.last;
    this.counts[i] = this.arrivalsSinceTick;
    const late = this.lastLate > this.targetMs && this.underLoad();
    this.last = now;
    this.arrivalsSinceTick = 0;
    if (!late) {
      this.lateSince = null;
      this.share = Math.min(1, this.share + 0.05);
    } else if (this.lateSince === null) this.lateSince = now;
    else if (now - this.lateSince >= LoopGovernor.INTERVAL_MS) {
      this.share *= 0.75;
      this.lateSince = now;
    }
  }

  /**
   * Under sustained pressure: ticks have come late for a whole interval (the loop found no idle moment), the
   * share is still below 1 after a cut, or work was refused for pressure within HOLD_MS (holdPressure).
   */
  get pressed(): boolean {
    const now = this.now();
    return this.share < 1 || (this.lateSince !== null && now - this.lateSince >= LoopGovernor.INTERVAL_MS) || now - this.heldAt < LoopGovernor.HOLD_MS;
  }

  /**
   * Keeps `pressed` for HOLD_MS more: admission refused work under the limit sized for pressure, so arrivals
   * still exceed what the node clears (with the limit holding its turns short, its timer is on time again and
   * would otherwise call the pressure off, and the next turn would take a whole backlog at once).
   */
  holdPressure(): void {
    this.heldAt = this.now();
  }

  /**
   * Arrivals per ms over the current tick interval and as many whole ones before it as make RECENT_MS (or all
   * that are kept): 0 before any tick. A burst read after a stall counts over the stall's interval too (the
   * one before the current), so it does not read as a jump in load.
   */
  recentPerMs(): number {
    let span = this.now() - this.last;
    let n = this.arrivalsSinceTick;
    const kept = Math.min(this.ticks, LoopGovernor.RECENT);
    for (let j = 1; j <= kept && span < LoopGovernor.RECENT_MS; j++) {
      const i = (this.ticks - j) % LoopGovernor.RECENT;
      span += this.spans[i]!;
      n += this.counts[i]!;
    }
    return span < LoopGovernor.RECENT_MS ? 0 : n / span;
  }

  /** One request arrived (counted for `heldMs`'s readers: the k-th since the tick is the k-th oldest). */
  arrived(): void {
    this.arrivalsSinceTick++;
  }

  /**
   * How long ago the loop was last free to read its socket: the last tick's lateness plus the time since that
   * tick beyond one tick period (a turn still running). A few ms when the loop keeps up.
   */
  get heldMs(): number {
    return this.lastLate + Math.max(0, this.now() - this.last - LoopGovernor.TICK_MS);
  }

  /** The loop was held longer than the target just now (a stall, or a long turn still running). */
  get stalled(): boolean {
    return this.heldMs > this.targetMs;
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

/**
 * Service time per request: event-loop busy time (performance.eventLoopUtilization's `active`: everything the
 * node did, GC and background work included, spread over the requests) divided by the requests completed,
 * over windows of at least WINDOW_MS with MIN_REQUESTS or more; the estimate moves halfway to each window's.
 * The first such window is start-up (cold code, first sessions) and measures nothing; nor does a trickle.
 */
export class ServiceTime {
  static readonly WINDOW_MS = 1000;
  static readonly MIN_REQUESTS = 50;
  private estimate: number | null = null;
  private done = 0;
  /** Full windows so far: the first (start-up, warm-up) measures nothing. */
  private windows = 0;
  private windowStart: number;
  private busyAtStart: number;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly busyMs: () => number = () => perfHooks.eventLoopUtilization().active,
  ) {
    this.windowStart = now();
    this.busyAtStart = busyMs();
  }

  get perRequestMs(): number | null {
    return this.estimate;
  }

  completed(): void {
    this.done++;
    const now = this.now();
    if (now - this.windowStart < ServiceTime.WINDOW_MS) return;
    const busy = this.busyMs();
    if (this.done >= ServiceTime.MIN_REQUESTS && this.windows++ > 0) {
      const sample = (busy - this.busyAtStart) / this.done;
      this.estimate = this.estimate === null ? sample : (this.estimate + sample) / 2;
    }
    this.done = 0;
    this.windowStart = now;
    this.busyAtStart = busy;
  }
}
