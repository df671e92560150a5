import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DatasetRowError } from "../../protocols/index.ts";
import { kuairandLog, kuairandVideos, kuairandVideoStats, kuaiUserFeatures } from "./kuairand.ts";
import { kuairecCaptions, kuairecItemCategories, kuairecMatrix, type VideoPatch } from "./kuairec.ts";
import type { LabelRules } from "./labels.ts";
import { datasetStream, emptyReport, type DatasetStream, type LoadOptions, type LoadReport } from "./load-report.ts";
import { microlensPairsCsv, microlensPairsTsv, microlensTitles } from "./microlens.ts";
import type { DatasetName, Interaction, User, Video } from "./schema.ts";
import { labelSessions } from "./session-labeler.ts";

/** One dataset folder, read in place: every stream re-reads its files when iterated. */
export interface DatasetSource {
  readonly name: DatasetName;
  readonly dir: string;
  readonly files: { interactions: string[]; users: string[]; videos: string[]; videoPatches: string[] };
  users(): DatasetStream<User>;
  videos(): DatasetStream<Video>;
  /** Side files that add fields to videos already read (KuaiRand statistics, KuaiRec captions). */
  videoPatches(): DatasetStream<VideoPatch>;
  /** All interaction files merged in time order, exact duplicates dropped, sessions labelled. */
  interactions(): DatasetStream<Interaction>;
}

export interface DatasetSourceOptions {
  rules: LabelRules;
  load?: LoadOptions;
  /** Interaction files to read instead of the discovered ones (names inside the folder or paths). */
  interactionFiles?: string[];
}

/** Opens a dataset folder; throws NotFound-style DatasetRowError when a required file is missing. */
export function openDataset(name: DatasetName, dir: string, options: DatasetSourceOptions): DatasetSource {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetRowError(dir, 0, "(folder)", "dataset folder does not exist");
  const names = readdirSync(dir).sort();
  const pick = (re: RegExp) => names.filter((f) => re.test(f)).map((f) => join(dir, f));
  const opts = options.load ?? {};
  const rules = options.rules;
  const explicit = options.interactionFiles?.map((f) => (f.includes("/") ? f : join(dir, f)));
  switch (name) {
    case "kuairand": {
      const merged = pick(/^video_features_basic.*statistic.*\.csv$/);
      const files = {
        interactions: explicit ?? pick(/^log_(standard|random).*\.csv$/),
        users: pick(/^user_features.*\.csv$/),
        videos: merged.length > 0 ? merged : pick(/^video_features_basic.*\.csv$/),
        videoPatches: merged.length > 0 ? [] : pick(/^video_features_statistic.*\.csv$/),
      };
      need(dir, "log_standard*.csv / log_random*.csv", files.interactions);
      return source(name, dir, files, {
        users: (f) => kuaiUserFeatures(f, opts),
        videos: (f) => kuairandVideos(f, opts),
        videoPatches: (f) => mapStream(kuairandVideoStats(f, opts), (s) => ({ videoId: s.videoId, patch: { stats: s.stats } })),
        interactions: (f) => kuairandLog(f, rules, opts),
      }, rules);
    }
    case "kuairec": {
      const full = [...pick(/^big_matrix\.csv$/), ...pick(/^small_matrix\.csv$/)];
      const files = {
        // small_matrix is a fully-observed subset of the same platform: never read both at once.
        interactions: explicit ?? (full.length > 0 ? full.slice(0, 1) : pick(/matrix.*\.csv$/).slice(0, 1)),
        users: pick(/^user_features.*\.csv$/),
        videos: pick(/^item_categories.*\.csv$/),
        videoPatches: pick(/caption_category.*\.csv$/),
      };
      need(dir, "big_matrix.csv / small_matrix.csv", files.interactions);
      return source(name, dir, files, {
        users: (f) => kuaiUserFeatures(f, opts),
        videos: (f) => kuairecItemCategories(f, opts),
        videoPatches: (f) => kuairecCaptions(f, opts),
        interactions: (f) => kuairecMatrix(f, rules, opts),
      }, rules);
    }
    case "microlens": {
      const files = {
        interactions: explicit ?? [...pick(/pairs\.tsv$/), ...pick(/pairs\.csv$/)].slice(0, 1),
        users: [],
        videos: pick(/titles\.csv$/),
        videoPatches: [],
      };
      need(dir, "*pairs.tsv / *pairs.csv", files.interactions);
      return source(name, dir, files, {
        users: () => emptyStream(),
        videos: (f) => microlensTitles(f, opts),
        videoPatches: () => emptyStream(),
        interactions: (f) => (f.endsWith(".tsv") ? microlensPairsTsv(f, opts) : microlensPairsCsv(f, opts)),
      }, rules);
    }
  }
}

function need(dir: string, what: string, files: string[]): void {
  if (files.length === 0) throw new DatasetRowError(dir, 0, "(folder)", `no ${what} in the folder`);
}

type Openers = {
  users: (f: string) => DatasetStream<User>;
  videos: (f: string) => DatasetStream<Video>;
  videoPatches: (f: string) => DatasetStream<VideoPatch>;
  interactions: (f: string) => DatasetStream<Interaction>;
};

function source(name: DatasetName, dir: string, files: DatasetSource["files"], open: Openers, rules: LabelRules): DatasetSource {
  return {
    name, dir, files,
    users: () => concat(files.users.map(open.users)),
    videos: () => concat(files.videos.map(open.videos)),
    videoPatches: () => concat(files.videoPatches.map(open.videoPatches)),
    interactions: () => {
      const parts = files.interactions.map(open.interactions);
      const report = sumReports(parts.map((p) => p.report));
      return datasetStream(report, () => labelSessions(mergeByTime(parts), rules.sessionGapMs));
    },
  };
}

/** A report whose counts are the live sums of its parts'. */
function sumReports(parts: LoadReport[]): LoadReport {
  const sum = (k: "rows" | "yielded" | "badRows" | "duplicates") => parts.reduce((a, p) => a + p[k], 0);
  return {
    file: parts.map((p) => p.file).join("+"),
    get rows() { return sum("rows"); },
    get yielded() { return sum("yielded"); },
    get badRows() { return sum("badRows"); },
    get duplicates() { return sum("duplicates"); },
    get errors() { return parts.flatMap((p) => p.errors); },
    get duplicateLines() { return parts.flatMap((p) => p.duplicateLines); },
  } as LoadReport;
}

function concat<T>(parts: DatasetStream<T>[]): DatasetStream<T> {
  return datasetStream(sumReports(parts.map((p) => p.report)), async function* () {
    for (const p of parts) yield* p;
  });
}

/** K-way merge of time-ordered streams (KuaiRand's standard and random logs cover the same days). */
async function* mergeByTime(parts: AsyncIterable<Interaction>[]): AsyncGenerator<Interaction> {
  if (parts.length === 1) {
    yield* parts[0]!;
    return;
  }
  const its = parts.map((p) => p[Symbol.asyncIterator]());
  const heads: (Interaction | undefined)[] = await Promise.all(its.map(async (it) => (await it.next()).value as Interaction | undefined));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && (best < 0 || h.timeMs < heads[best]!.timeMs)) best = i;
    }
    if (best < 0) return;
    yield heads[best]!;
    const r = await its[best]!.next();
    heads[best] = r.done ? undefined : r.value;
  }
}

function mapStream<A, B>(s: DatasetStream<A>, f: (a: A) => B): DatasetStream<B> {
  return datasetStream(s.report, async function* () {
    for await (const a of s) yield f(a);
  });
}

function emptyStream<T>(): DatasetStream<T> {
  return datasetStream(emptyReport("(none)"), async function* () {});
}
