/** Entry of a research-run worker thread (see run-pool.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { serveResearchRuns } from "./run-pool.ts";

if (parentPort === null) throw new Error("run-worker.ts runs in a worker thread (started by runResearchPool)");
serveResearchRuns(parentPort, workerData as { logLevel: string });
