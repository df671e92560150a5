import { basename } from "node:path";
import { DuplicateFilter } from "./duplicate-filter.ts";
import { MISSING, parseTags } from "./kuairand.ts";
import { deriveLabels, type LabelRules } from "./labels.ts";
import { datasetStream, emptyReport, recordDuplicate, type DatasetStream, type LoadOptions } from "./load-report.ts";
import type { Interaction, Video } from "./schema.ts";
import { readTable } from "./table-reader.ts";

export { kuaiUserFeatures as kuairecUsers } from "./kuairand.ts";

/** A change to a video already in the catalog (side files describing the same videos). */
export interface VideoPatch {
  videoId: number;
  patch: Partial<Video>;
}

const MATRIX_REQUIRED = ["user_id", "video_id", "play_duration", "video_duration", "timestamp"] as const;

/**
 * KuaiRec `small_matrix.csv` / `big_matrix.csv` (4.7M / 12.5M rows: streamed, never held). `timestamp` is
 * epoch seconds with a fraction; play_duration and video_duration are ms. The file's own watch_ratio is
 * ignored in favour of the derived one (identical where the duration is positive).
 */
export function kuairecMatrix(path: string, rules: LabelRules, opts: LoadOptions = {}): DatasetStream<Interaction> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const dups = new DuplicateFilter();
    return readTable(path, { required: MATRIX_REQUIRED }, opts, report, (r) => {
      const userId = r.int("user_id");
      const ts = r.optNum("timestamp", MISSING);
      if (ts === undefined) throw r.error("timestamp", "missing timestamp");
      const timeMs = Math.round(ts * 1000);
      const playMs = r.int("play_duration");
      const durationMs = r.int("video_duration");
      if (dups.seen(userId, timeMs, r.raw)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      return {
        userId, videoId: r.int("video_id"), timeMs, playMs, durationMs,
        labels: deriveLabels(playMs, durationMs, rules), signals: {}, session: null,
      };
    });
  });
}

/** KuaiRec `item_categories.csv`: `video_id, feat` where feat is a list like "[27, 9]". */
export function kuairecItemCategories(path: string, opts: LoadOptions = {}): DatasetStream<Video> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const seen = new Set<number>();
    return readTable(path, { required: ["video_id", "feat"] }, opts, report, (r) => {
      const videoId = r.int("video_id");
      const tags = parseTags(r, "feat");
      if (seen.has(videoId)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      seen.add(videoId);
      return tags.length > 0 ? { videoId, tags, category: tags[0]! } : { videoId, tags };
    });
  });
}

const CAPTION_REQUIRED = ["video_id", "caption", "first_level_category_name"] as const;

/**
 * KuaiRec `kuairec_caption_category.csv`: caption and category names. Captions are unquoted and some hold
 * raw line breaks ("\r" in the published file, and "\n" in other copies): "\r" is data to the reader, and a
 * record cut short by "\n" is joined with the following line until it has the header's width.
 */
export function kuairecCaptions(path: string, opts: LoadOptions = {}): DatasetStream<VideoPatch> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const seen = new Set<number>();
    return readTable(path, { required: CAPTION_REQUIRED, joinShortRecords: true }, opts, report, (r) => {
      const videoId = r.int("video_id");
      const patch: Partial<Video> = {};
      const caption = r.str("caption");
      if (caption !== "" && caption !== "UNKNOWN") patch.title = caption;
      const names = ["first_level_category_name", "second_level_category_name", "third_level_category_name"]
        .filter((c) => r.has(c))
        .map((c) => r.str(c))
        .filter((n) => n !== "" && n !== "UNKNOWN");
      if (names.length > 0) patch.categoryNames = names;
      if (seen.has(videoId)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      seen.add(videoId);
      return { videoId, patch };
    });
  });
}
