/** Entry of a parallel simulation's worker thread (see parallel-sim.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { runSimWorker, type WorkerData } from "./parallel-sim.ts";

if (parentPort === null) throw new Error("sim-worker.ts runs in a worker thread (started by runParallelSimulation)");
await runSimWorker(parentPort, workerData as WorkerData);
