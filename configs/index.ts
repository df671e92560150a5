export { loadConfig, profileNames, ENV_PREFIX } from "./loader.ts";
export type { LoadOptions } from "./loader.ts";
export { configSchema } from "./config-schema.ts";
export type { Config } from "./config-schema.ts";
