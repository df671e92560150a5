/** Exhaustiveness guard: a new union member fails to compile until every switch handles it. */
export function assertNever(x: never, what = "value"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
