/**
 * Entry of a node process of a parallel run over NATS, started by its driver on the driver's machine
 * (nats-sim.ts). Args: SERVERS RUN LOG_LEVEL. Exits 0 once its node has reported its result, 1 otherwise.
 */
import { createLogger } from "../cluster/index.ts";
import { errorMessage } from "../protocols/index.ts";
import { joinNatsSimulation } from "./nats-sim.ts";

const [servers, run, logLevel] = process.argv.slice(2);
const log = createLogger(logLevel ?? "info", "fyp-sim-node");
try {
  process.exitCode = await joinNatsSimulation({ servers: servers ?? "", run: run ?? "", log });
} catch (e) {
  log.error({ err: errorMessage(e), run }, "simulation node failed");
  process.exitCode = 1;
}
