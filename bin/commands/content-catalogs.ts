import { mkdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { importDataset, openDataset, MemoryCatalog, type Catalog, type DatasetName } from "../../models/index.ts";
import { LmdbCatalog } from "../../cluster/index.ts";
import type { Config } from "../../configs/index.ts";
import type { Logger } from "pino";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function catalogDir(config: Readonly<Config>, given: unknown): string {
  const p = typeof given === "string" ? resolve(given) : join(resolve(config.storage.dir), "catalog");
  mkdirSync(p, { recursive: true });
  return p;
}

/**
 * The dataset's imported LMDB catalog, or (when it was never imported) the dataset folder read into memory
 * for this one run, so training and evaluation work from a clean clone.
 */
export async function openCatalog(config: Readonly<Config>, name: DatasetName, catalogPath: string, log: Logger): Promise<Catalog> {
  const lmdb = new LmdbCatalog(catalogPath, name);
  if (lmdb.getMeta("import") !== undefined) return lmdb;
  await lmdb.close();
  const base = isAbsolute(config.datasets.dir) ? config.datasets.dir : join(REPO_ROOT, config.datasets.dir);
  log.info({ dataset: name, dir: join(base, name) }, "catalog not imported; reading the dataset folder into memory");
  const mem = new MemoryCatalog(name);
  await importDataset(openDataset(name, join(base, name), { rules: config.datasets.labels }), mem);
  return mem;
}

/** The config slices the content model trains with. */
export function contentSettings(config: Readonly<Config>, dayEndMs: (day: string) => number) {
  const e = config.embeddings;
  const c = e.content;
  return {
    features: { textBuckets: e.textBuckets, textMaxTokens: e.textMaxTokens, metaBuckets: c.metaBuckets, metaMaxTokens: c.metaMaxTokens },
    shape: { bagDim: c.bagDim, textDim: config.dims.text, metaDim: c.metaDim, contentDim: config.dims.content, heads: c.heads, keyDim: c.keyDim },
    corpus: { window: c.window, heldOutUsers: c.heldOutUsers, trainEndMs: dayEndMs(c.trainEnd), dropLastOrdinal: true, maxPairsPerUser: c.maxPairsPerUser },
    train: { steps: c.steps, batchSize: c.batchSize, learningRate: c.learningRate, temperature: c.temperature, logQ: c.logQ, seed: c.seed, evalPairs: c.evalPairs },
  };
}
