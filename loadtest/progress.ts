import cliProgress from "cli-progress";
import type { Logger } from "pino";

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on a terminal (stderr), periodic log lines otherwise (CI, pipes).
 * `everyMs` throttles the log lines; the bar redraws itself.
 */
export function createProgress(opts: { label: string; total: number; log: Logger; everyMs: number; enabled: boolean }): Progress {
  if (!opts.enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${opts.label} [{bar}] {percentage}% {value}/{total} | {info}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(opts.total, 0, { info: "" });
    return {
      update(done, fields) {
        const info = fields ? Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(" ") : "";
        bar.update(done, { info });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(done, fields) {
      const now = Date.now();
      if (now - last < opts.everyMs && done < opts.total) return;
      last = now;
      opts.log.info({ progress: opts.label, done, total: opts.total, ...fields }, "progress");
    },
    stop() {},
  };
}
