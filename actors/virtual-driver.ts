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
