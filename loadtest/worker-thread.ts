import { getHeapStatistics } from "node:v8";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker thread running the module `name` that sits beside the module `from` (an `import.meta.url`).
 * Under tsx (the sources run as .ts) the thread registers tsx before importing the entry, resolved from
 * here rather than from the working directory an eval'd bootstrap would resolve it from; a built tree runs
 * the .js entry directly. The thread gets the same old-generation limit as this one.
 */
export function moduleWorker(from: string, name: string, options: Omit<WorkerOptions, "eval">): Worker {
  const ts = from.endsWith(".ts");
  const entry = new URL(`./${name}${ts ? ".ts" : ".js"}`, from);
  const resourceLimits = { maxOldGenerationSizeMb: Math.floor(getHeapStatistics().heap_size_limit / 2 ** 20), ...options.resourceLimits };
  return ts
    ? new Worker(`import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`, { ...options, eval: true, resourceLimits })
    : new Worker(entry, { ...options, resourceLimits });
}
