export { createRng, uniformAt } from "./random/rng.ts";
export type { Rng } from "./random/rng.ts";
