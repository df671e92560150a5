import { mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidArgumentError } from "../../protocols/index.ts";
import {
  ContentModelEncoder, DATASET_NAMES, HnswIndex, buildIndexFromVectors, embedCatalog, isDatasetName, latestContentModel, openOnnxSession, readContentModel,
} from "../../models/index.ts";
import { LmdbCatalog, LmdbVectorStore, listCatalogDatasets } from "../../cluster/index.ts";
import { createProgress } from "../../loadtest/index.ts";
import type { Command } from "../cli.ts";
import { catalogDir } from "./content-catalogs.ts";

export const embedCommand: Command = {
  name: "embed",
  summary: "compute content vectors for imported catalogs (LMDB) and build their HNSW index",
  usage: `fyp embed [<kuairand|kuairec|microlens>...] [--model DIR] [--catalog PATH] [--no-progress]
  Embeds every video of each imported catalog (all imported ones when none is named) with the latest trained
  content model (or --model <version dir>), in batches of embeddings.content.embedBatch, into
  <storage.dir>/vectors (LMDB), then builds the HNSW index (retrieval.hnsw) and saves it to
  <storage.dir>/index/<dataset>.hnsw. Prints one JSON line per dataset.`,
  options: {
    model: { type: "string" },
    catalog: { type: "string" },
    "no-progress": { type: "boolean" },
  },
  async run(ctx) {
    const config = ctx.config();
    const log = ctx.logger(config);
    const enabled = !ctx.values["no-progress"] && config.simulate.progress;
    const path = catalogDir(config, ctx.values.catalog);
    for (const n of ctx.positionals) if (!isDatasetName(n)) throw new InvalidArgumentError("dataset", `must be one of ${DATASET_NAMES.join(", ")}`, n);
    const names = ctx.positionals.length > 0 ? ctx.positionals : listCatalogDatasets(path, DATASET_NAMES);
    if (names.length === 0) throw new InvalidArgumentError("catalog", "holds no imported dataset (run fyp data import first)", path);
    const model = typeof ctx.values.model === "string" ? readContentModel(resolve(ctx.values.model)) : latestContentModel(resolve(config.embeddings.content.modelsDir));
    if (model === undefined) throw new InvalidArgumentError("embeddings.content.modelsDir", "holds no trained content model (run fyp train content first)", config.embeddings.content.modelsDir);
    const service = { maxBatchRows: config.embeddings.content.embedBatch, maxQueueRows: config.inference.maxQueueRows, maxConcurrentRuns: 1 };
    const encoder = await ContentModelEncoder.open(model.content, model.card.features, (m) => openOnnxSession(m, { intraOpThreads: config.inference.intraOpThreads }), service);
    const storage = resolve(config.storage.dir);
    mkdirSync(join(storage, "vectors"), { recursive: true });
    mkdirSync(join(storage, "index"), { recursive: true });
    try {
      for (const name of names) {
        const catalog = new LmdbCatalog(path, name);
        const store = new LmdbVectorStore(join(storage, "vectors"), name);
        try {
          if (catalog.getMeta("import") === undefined) throw new InvalidArgumentError("dataset", "is not imported (run fyp data import first)", name);
          const bar = createProgress({ label: `embed ${name}`, total: Math.max(1, catalog.counts().videos), log, everyMs: config.simulate.progressEveryMs, enabled });
          const summary = await embedCatalog(catalog, encoder, store, { batch: config.embeddings.content.embedBatch, modelVersion: model.card.version, onProgress: (p) => bar.update(p.done, { stored: p.stored }) });
          bar.stop();
          const t0 = performance.now();
          const index = HnswIndex.create(encoder.dim, "cosine", { ...config.retrieval.hnsw, capacity: Math.max(16, summary.stored) });
          const ibar = createProgress({ label: `index ${name}`, total: Math.max(1, summary.stored), log, everyMs: config.simulate.progressEveryMs, enabled });
          buildIndexFromVectors(store, index, (n) => ibar.update(n));
          ibar.stop();
          const file = join(storage, "index", `${name}.hnsw`);
          index.save(file);
          ctx.out(JSON.stringify({ ...summary, model: model.card.version, vectors: join(storage, "vectors"), index: file, indexBytes: statSync(file).size, indexSeconds: (performance.now() - t0) / 1000 }));
        } finally {
          await store.close();
          await catalog.close();
        }
      }
    } finally {
      await encoder.close();
    }
    return 0;
  },
};
