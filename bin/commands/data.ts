import { mkdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "../../protocols/index.ts";
import {
  DATASET_NAMES, computeStats, importDataset, isDatasetName, openDataset, MemoryCatalog,
  type Catalog, type DatasetName, type LoadOptions,
} from "../../models/index.ts";
import { fitWorldParams, writeWorldParams, SHIPPED_PARAMS_PATH } from "../../models/index.ts";
import { LmdbCatalog, listCatalogDatasets } from "../../cluster/index.ts";
import { createProgress, type Progress } from "../../loadtest/index.ts";
import type { Config } from "../../configs/index.ts";
import type { Logger } from "pino";
import type { Command } from "../cli.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** datasets.dir is relative to the repository root (so `../shared/datasets` works from any cwd). */
function datasetDir(config: Readonly<Config>, name: DatasetName, given: string | undefined): string {
  if (given !== undefined) return resolve(given);
  const base = isAbsolute(config.datasets.dir) ? config.datasets.dir : join(REPO_ROOT, config.datasets.dir);
  return join(base, name);
}

function catalogPath(config: Readonly<Config>, given: unknown): string {
  const p = typeof given === "string" ? resolve(given) : join(resolve(config.storage.dir), "catalog");
  mkdirSync(p, { recursive: true });
  return p;
}

/** One progress bar / log line series per file, in bytes. */
function fileProgress(log: Logger, enabled: boolean, everyMs: number): LoadOptions["onProgress"] {
  const bars = new Map<string, Progress>();
  return (p) => {
    let bar = bars.get(p.file);
    if (bar === undefined) {
      bars.set(p.file, (bar = createProgress({ label: p.file, total: Math.max(1, p.totalBytes), log, everyMs, enabled })));
    }
    bar.update(p.bytesRead, { rows: p.rows });
    if (p.bytesRead >= p.totalBytes) bar.stop();
  };
}

function datasetArg(s: string | undefined): DatasetName {
  if (s === undefined || !isDatasetName(s)) throw new InvalidArgumentError("dataset", `must be one of ${DATASET_NAMES.join(", ")}`, s);
  return s;
}

export const dataCommand: Command = {
  name: "data",
  summary: "import KuaiRand / KuaiRec / MicroLens into the LMDB catalog, print its stats, fit the synthetic world",
  usage: `fyp data import <kuairand|kuairec|microlens> [DIR] [--strict] [--file NAME]... [--catalog PATH] [--no-progress]
fyp data stats [<dataset>] [--catalog PATH]
fyp data fit <dataset> [DIR] [--out FILE]
  DIR defaults to <datasets.dir>/<dataset> (datasets.dir is relative to the repository root).
  The catalog lives in <storage.dir>/catalog unless --catalog is given; a re-import replaces a dataset.
  import prints its report (rows, duplicates, bad rows with file:line and column) as JSON on stdout;
  stats prints counts and distributions as JSON; fit writes the synthetic world's parameters
  (default for kuairand: the committed ${SHIPPED_PARAMS_PATH}).`,
  options: {
    strict: { type: "boolean" },
    file: { type: "string", multiple: true },
    catalog: { type: "string" },
    out: { type: "string" },
    "no-progress": { type: "boolean" },
  },
  async run(ctx) {
    const [sub, nameArg, dirArg] = ctx.positionals;
    const overrides: Record<string, unknown> = {};
    if (ctx.values.strict) overrides["datasets.strict"] = true;
    const config = ctx.config(overrides);
    const log = ctx.logger(config);
    switch (sub) {
      case "import": {
        const name = datasetArg(nameArg);
        const source = openDataset(name, datasetDir(config, name, dirArg), {
          rules: config.datasets.labels,
          interactionFiles: ctx.values.file as string[] | undefined,
          load: {
            strict: config.datasets.strict,
            maxErrors: config.datasets.maxErrors,
            onProgress: fileProgress(log, !ctx.values["no-progress"], config.simulate.progressEveryMs),
            onBadRow: (e) => log.debug({ file: e.file, line: e.line, column: e.column }, "bad row skipped"),
          },
        });
        const catalog = new LmdbCatalog(catalogPath(config, ctx.values.catalog), name);
        try {
          const summary = await importDataset(source, catalog);
          ctx.out(JSON.stringify(summary));
        } finally {
          await catalog.close();
        }
        return 0;
      }
      case "stats": {
        const path = catalogPath(config, ctx.values.catalog);
        const names = nameArg !== undefined ? [datasetArg(nameArg)] : listCatalogDatasets(path, DATASET_NAMES);
        if (names.length === 0) throw new InvalidArgumentError("catalog", `holds no imported dataset (run fyp data import first)`, path);
        for (const name of names) {
          const catalog = new LmdbCatalog(path, name);
          try {
            ctx.out(JSON.stringify(computeStats(catalog)));
          } finally {
            await catalog.close();
          }
        }
        return 0;
      }
      case "fit": {
        const name = datasetArg(nameArg);
        const path = catalogPath(config, ctx.values.catalog);
        let catalog: Catalog = new LmdbCatalog(path, name);
        if (catalog.getMeta("import") === undefined || dirArg !== undefined) {
          // Not imported: read the folder into memory for this one fit.
          await catalog.close();
          catalog = new MemoryCatalog(name);
          await importDataset(openDataset(name, datasetDir(config, name, dirArg), { rules: config.datasets.labels }), catalog);
        }
        try {
          const params = fitWorldParams(catalog, { source: name });
          const out = typeof ctx.values.out === "string" ? resolve(ctx.values.out) : join(REPO_ROOT, name === "kuairand" ? SHIPPED_PARAMS_PATH : `${name}-params.json`);
          writeWorldParams(out, params);
          ctx.out(JSON.stringify({ out, categories: params.categories.ids.length, videos: params.source.videos, users: params.source.users }));
        } finally {
          await catalog.close();
        }
        return 0;
      }
      default:
        throw new InvalidArgumentError("subcommand", "must be import, stats or fit", sub);
    }
  },
};
