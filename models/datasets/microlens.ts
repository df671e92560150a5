import { basename } from "node:path";
import { DuplicateFilter } from "./duplicate-filter.ts";
import { UNKNOWN_LABELS } from "./labels.ts";
import { datasetStream, emptyReport, recordDuplicate, type DatasetStream, type LoadOptions } from "./load-report.ts";
import type { Interaction, Video } from "./schema.ts";
import { readTable } from "./table-reader.ts";

/**
 * MicroLens `*_pairs.tsv`: `user<TAB>item item ...` in chronological order, no header, no timestamps:
 * each item becomes an interaction whose `timeMs` is its 0-based position (`timeIsOrdinal`). A user id
 * seen on an earlier line is a duplicate row (first kept). There is no play time: labels are unknown.
 */
export function microlensPairsTsv(path: string, opts: LoadOptions = {}): DatasetStream<Interaction> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const seen = new Set<number>();
    return readTable(path, { required: [], columns: ["user", "items"], delimiter: "\t", flatten: true }, opts, report, (r) => {
      const userId = r.int("user");
      const text = r.str("items").trim();
      if (text === "") throw r.error("items", "no items");
      const items = text.split(/ +/);
      const out: Interaction[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const videoId = Number(items[i]);
        if (!Number.isSafeInteger(videoId) || videoId < 0) throw r.error("items", `item ${i + 1} is not an id: ${JSON.stringify(items[i]!.slice(0, 20))}`);
        out[i] = { userId, videoId, timeMs: i, timeIsOrdinal: true, labels: { ...UNKNOWN_LABELS }, signals: {}, session: null };
      }
      if (seen.has(userId)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      seen.add(userId);
      return out;
    });
  });
}

/**
 * The official MicroLens `*_pairs.csv`: `user,item,timestamp` (header optional). Timestamps below 1e11 are
 * taken as seconds, others as milliseconds. Exact duplicate rows are dropped (first kept).
 */
export function microlensPairsCsv(path: string, opts: LoadOptions = {}): DatasetStream<Interaction> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const dups = new DuplicateFilter();
    return readTable(path, { required: [], columns: ["user", "item", "timestamp"], optionalHeader: true }, opts, report, (r) => {
      const userId = r.int("user");
      const ts = r.num("timestamp");
      if (ts < 0) throw r.error("timestamp", `negative timestamp ${ts}`);
      const timeMs = Math.round(ts < 1e11 ? ts * 1000 : ts);
      if (dups.seen(userId, timeMs, r.raw)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      return { userId, videoId: r.int("item"), timeMs, labels: { ...UNKNOWN_LABELS }, signals: {}, session: null };
    });
  });
}

/** MicroLens `*_titles.csv`: `item,title` (English titles with hashtags). */
export function microlensTitles(path: string, opts: LoadOptions = {}): DatasetStream<Video> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const seen = new Set<number>();
    return readTable(path, { required: ["item", "title"] }, opts, report, (r) => {
      const videoId = r.int("item");
      if (seen.has(videoId)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      seen.add(videoId);
      return { videoId, tags: [], title: r.str("title") };
    });
  });
}
