/**
 * Entry of a node process of a parallel run over NATS, started by its driver on the driver's machine
 * (nats-sim.ts). Args: SERVERS RUN LOG_LEVEL. Exits 0 once its node has reported its result, 1 otherwise.
 */
import { createLogger } from "../cluster/index.ts";
import { errorMessage } from "../protocols/index.ts";
import { joinNatsSimulation } from "./nats-sim.ts";

const [servers, run, logLevel] = process.argv.slice(2);
const log = createLogger(logLevel ?? "info", "fyp-sim-node");
// stdin is a pipe from the driver: its end means the driver is gone, and this node would wait for it forever
process.stdin.on("end", () => {
  log.error({ run }, "the simulation's driver is gone: stopping");
  process.exit(1);
});
process.stdin.resume();
let code = 1;
try {
  code = await joinNatsSimulation({ servers: servers ?? "", run: run ?? "", log });
} catch (e) {
  log.error({ err: errorMessage(e), run }, "simulation node failed");
}
process.exit(code);
