import { pino } from "pino";

/**
 * A pino logger whose lines a test can wait for: `nth(msg, n)` resolves with the n-th line (from 1) with
 * that message, whether it came before or after the call. Bounded, so a line that never comes fails the
 * test by name instead of hanging it.
 */
export function capturingLogger() {
  const seen = new Map<string, Record<string, unknown>[]>();
  const waiters: { msg: string; n: number; resolve: (line: Record<string, unknown>) => void }[] = [];
  const log = pino({ level: "info" }, {
    write(s: string) {
      const line = JSON.parse(s) as Record<string, unknown>;
      const msg = String(line.msg);
      const lines = seen.get(msg) ?? [];
      lines.push(line);
      seen.set(msg, lines);
      for (const w of waiters.filter((x) => x.msg === msg && x.n === lines.length)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    },
  });
  const nth = (msg: string, n: number, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const past = seen.get(msg)?.[n - 1];
      if (past !== undefined) return resolve(past);
      const timer = setTimeout(() => reject(new Error(`no ${n}. "${msg}" log line within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ msg, n, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  return { log, nth };
}
