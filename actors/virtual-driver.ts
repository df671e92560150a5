import type { ActorSystem } from "./actor-system.ts";
import type { VirtualClock } from "./virtual-clock.ts";

export interface DriveOptions {
  /** Stop before firing a timer due after this virtual time. */
  untilMs?: number;
  /** Called every `everyEvents` fired timers (progress output). */
  onProgress?: (firedEvents: number) => void;
  everyEvents?: number;
}

/**
 * Runs a discrete-event simulation: fire the next timer, let the actors settle, repeat. Actors run to
 * quiescence between two timers, so the order of everything is fixed by (time, timer order).
 */
export async function driveVirtual(system: ActorSystem, clock: VirtualClock, opts: DriveOptions = {}): Promise<number> {
  const until = opts.untilMs ?? Infinity;
  const every = opts.everyEvents ?? 100_000;
  let fired = 0;
  for (;;) {
    system.runReady();
    if (!system.isIdle()) await system.whenIdle();
    const next = clock.nextTime();
    if (next === undefined || next > until) break;
    clock.fireNext();
    fired++;
    if (opts.onProgress !== undefined && fired % every === 0) {
      opts.onProgress(fired);
      // let I/O (progress output, signals) through now and then
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  if (opts.untilMs !== undefined && opts.untilMs !== Infinity) clock.advanceTo(Math.max(clock.now(), opts.untilMs));
  return fired;
}

/**
 * One epoch of a simulation split over several nodes in lockstep (the parallel simulation): fires every
 * timer due up to `untilMs`, background ones too (another node may still be running, so this node's
 * flushes and sweeps go on even when it has no foreground timer left), then moves time to `untilMs`.
 * Returns the number of timers fired and the time of the last one fired while a foreground timer was due
 * (-1 when none was).
 */
export async function driveVirtualEpoch(system: ActorSystem, clock: VirtualClock, untilMs: number): Promise<{ fired: number; lastMs: number }> {
  let fired = 0;
  let lastMs = -1;
  for (;;) {
    await settleLocal(system);
    const next = clock.nextDueTime();
    if (next === undefined || next > untilMs) break;
    // the run's end is its last foreground event (background timers go on while another node runs)
    if (clock.pendingForeground > 0) lastMs = next;
    clock.fireNext();
    fired++;
  }
  clock.advanceTo(Math.max(clock.now(), untilMs));
  return { fired, lastMs };
}

/**
 * Runs this node's actors until nothing is left to do here: idle, or idle but for handlers waiting on asks
 * to other nodes (answered at the next epoch; waiting for them here would wait forever). While such an ask
 * is pending, a turn of the event loop passes between checks, so continuations of settled promises have run.
 */
export async function settleLocal(system: ActorSystem): Promise<void> {
  for (;;) {
    system.runReady();
    if (system.isIdle()) return;
    if (system.remoteAsksPending === 0) {
      // as driveVirtual waits, unless a handler sends an ask to another node meanwhile
      await system.whenIdleOrRemoteAsk();
      continue;
    }
    const before = system.processedCount;
    await new Promise<void>((r) => setImmediate(r));
    system.runReady();
    if (system.isIdle()) return;
    if (system.waitsOnlyOnRemote() && system.processedCount === before) return;
  }
}
