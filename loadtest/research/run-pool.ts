import type { Logger } from "pino";
import type { MessagePort, Worker } from "node:worker_threads";
import { createLogger } from "../../cluster/index.ts";
import type { Config } from "../../configs/index.ts";
import { errorFromWire, errorToWire } from "../../protocols/index.ts";
import { moduleWorker } from "../worker-thread.ts";
import { runResearch, type ResearchRun } from "./run-research.ts";

/** One run of a batch: its config and what its log lines carry (e.g. arm and seed). */
export interface RunJob {
  config: Readonly<Config>;
  bindings: Record<string, string | number>;
}

type ToWorker = { i: number; config: Config; bindings: Record<string, string | number> };
type FromWorker = { i: number; ok: true; run: ResearchRun } | { i: number; ok: false; error: ReturnType<typeof errorToWire> };

/**
 * Runs a batch of research runs (`runResearch`, each one node on virtual time: its outcome is the one it
 * has alone) on up to `size` worker threads at once, each thread taking the next job when it is done with
 * one. `onRun` sees the runs in job order, whichever finishes first, so what it writes is the same as one
 * run at a time; `onDone` sees each completion as it happens (progress). The first failure stops the batch
 * and rejects with the run's own error, naming the job.
 */
export async function runResearchPool(
  jobs: readonly RunJob[], size: number, log: Logger,
  onRun: (i: number, run: ResearchRun) => void, onDone: (i: number) => void = () => undefined,
): Promise<void> {
  const count = Math.max(1, Math.min(size, jobs.length));
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0, handed = 0, finished = false;
      const ready = new Map<number, ResearchRun>();
      const fail = (e: unknown): void => {
        if (finished) return;
        finished = true;
        reject(e);
      };
      const give = (w: Worker): void => {
        if (next >= jobs.length) return;
        const i = next++;
        w.postMessage({ i, config: structuredClone(jobs[i]!.config) as Config, bindings: jobs[i]!.bindings } satisfies ToWorker);
      };
      for (let k = 0; k < count; k++) {
        const w = moduleWorker(import.meta.url, "run-worker", { workerData: { logLevel: log.level } });
        workers.push(w);
        w.on("message", (m: FromWorker) => {
          if (finished) return;
          const job = jobs[m.i]!;
          if (!m.ok) {
            const what = Object.entries(job.bindings).map(([k, v]) => `${k} ${v}`).join(", ");
            fail(errorFromWire({ ...m.error, message: `research run (${what}): ${m.error.message}` }));
            return;
          }
          ready.set(m.i, m.run);
          onDone(m.i);
          try {
            for (let run = ready.get(handed); run !== undefined; run = ready.get(handed)) {
              ready.delete(handed);
              onRun(handed++, run);
            }
          } catch (e) {
            fail(e);
            return;
          }
          if (handed === jobs.length) {
            finished = true;
            resolve();
          } else give(w);
        });
        w.on("error", fail);
        w.on("exit", (code) => fail(new Error(`research run worker exited (code ${code})`)));
        give(w);
      }
    });
  } finally {
    for (const w of workers) w.removeAllListeners("exit");
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The worker side: runs each job it is handed and sends back the run (or its error). */
export function serveResearchRuns(port: MessagePort, data: { logLevel: string }): void {
  const log = createLogger(data.logLevel, "fyp-research-run");
  port.on("message", (job: ToWorker) => {
    runResearch(job.config, log.child(job.bindings)).then(
      (run) => port.postMessage({ i: job.i, ok: true, run } satisfies FromWorker),
      (e: unknown) => port.postMessage({ i: job.i, ok: false, error: errorToWire(e) } satisfies FromWorker),
    );
  });
}
