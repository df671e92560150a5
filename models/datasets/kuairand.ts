import { basename } from "node:path";
import { DuplicateFilter } from "./duplicate-filter.ts";
import { deriveLabels, type LabelRules } from "./labels.ts";
import { datasetStream, emptyReport, recordDuplicate, type DatasetStream, type LoadOptions } from "./load-report.ts";
import type { Interaction, User, Video } from "./schema.ts";
import { readTable, type Row } from "./table-reader.ts";

/** KuaiRand marks a missing feature with -124. */
export const MISSING = ["", "-124", "-124.0", "nan", "NaN", "UNKNOWN", "unknown"];

const LOG_REQUIRED = ["user_id", "video_id", "time_ms", "play_time_ms", "duration_ms"] as const;

/** A KuaiRand interaction log (`log_standard*` / `log_random*`), exact duplicates dropped (first kept). */
export function kuairandLog(path: string, rules: LabelRules, opts: LoadOptions = {}): DatasetStream<Interaction> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const dups = new DuplicateFilter();
    return readTable(path, { required: LOG_REQUIRED }, opts, report, (r) => {
      const userId = r.int("user_id");
      const timeMs = r.int("time_ms");
      const playMs = r.int("play_time_ms");
      const durationMs = r.int("duration_ms");
      const it: Interaction = {
        userId,
        videoId: r.int("video_id"),
        timeMs,
        playMs,
        durationMs,
        labels: deriveLabels(playMs, durationMs, rules),
        signals: signals(r),
        session: null,
      };
      if (r.has("is_rand")) it.isRand = r.flag("is_rand");
      if (r.has("tab")) it.tab = r.int("tab");
      if (dups.seen(userId, timeMs, r.raw)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      return it;
    });
  });
}

const SIGNAL_COLUMNS = [
  ["click", "is_click"], ["like", "is_like"], ["follow", "is_follow"], ["comment", "is_comment"],
  ["forward", "is_forward"], ["hate", "is_hate"], ["profileEnter", "is_profile_enter"], ["longView", "long_view"],
] as const;

function signals(r: Row): Interaction["signals"] {
  const s: Interaction["signals"] = {};
  for (const [key, col] of SIGNAL_COLUMNS) if (r.has(col)) s[key] = r.flag(col);
  return s;
}

const USER_REQUIRED = ["user_id"] as const;

/** KuaiRand (and KuaiRec, same layout) `user_features*.csv`; a repeated user_id is a duplicate (first kept). */
export function kuaiUserFeatures(path: string, opts: LoadOptions = {}): DatasetStream<User> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const seen = new Set<number>();
    return readTable(path, { required: USER_REQUIRED }, opts, report, (r) => {
      const userId = r.int("user_id");
      const u: User = { userId };
      if (r.has("user_active_degree")) {
        const d = r.str("user_active_degree").trim();
        if (!MISSING.includes(d)) u.activeDegree = d;
      }
      setNum(u, "registerDays", r, "register_days");
      setNum(u, "followUserNum", r, "follow_user_num");
      setNum(u, "fansUserNum", r, "fans_user_num");
      setNum(u, "friendUserNum", r, "friend_user_num");
      const author = r.has("is_video_author") ? r.optNum("is_video_author", MISSING) : undefined;
      if (author !== undefined) u.isVideoAuthor = author === 1;
      const live = r.has("is_live_streamer") ? r.optNum("is_live_streamer", MISSING) : undefined;
      if (live !== undefined) u.isLiveStreamer = live === 1;
      const onehot: Record<string, number> = {};
      for (let i = 0; i < 18; i++) {
        const col = `onehot_feat${i}`;
        const v = r.has(col) ? r.optNum(col, MISSING) : undefined;
        if (v !== undefined) onehot[col] = v;
      }
      if (Object.keys(onehot).length > 0) u.onehot = onehot;
      if (seen.has(userId)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      seen.add(userId);
      return u;
    });
  });
}

function setNum<K extends "registerDays" | "followUserNum" | "fansUserNum" | "friendUserNum">(u: User, key: K, r: Row, col: string): void {
  if (!r.has(col)) return;
  const v = r.optNum(col, MISSING);
  if (v !== undefined) u[key] = v;
}

/** Columns of `video_features_basic*`; in the merged file every other numeric column is a statistic. */
const BASIC_COLUMNS = new Set([
  "video_id", "author_id", "video_type", "upload_dt", "upload_type", "visible_status", "video_duration",
  "server_width", "server_height", "music_id", "music_type", "tag", "upload_dt_parsed", "upload_date",
]);

/** Parses a tag list: "39", "39,68", "[27, 9]", "" -> numbers, primary first. */
export function parseTags(r: Row, col: string): number[] {
  const s = r.str(col).trim().replace(/^\[|\]$/g, "").trim();
  if (s === "" || MISSING.includes(s)) return [];
  return s.split(",").map((t) => {
    const n = Number(t.trim());
    if (!Number.isInteger(n)) throw r.error(col, `not a tag id list: ${JSON.stringify(r.str(col).slice(0, 40))}`);
    return n;
  });
}

/**
 * KuaiRand `video_features_basic*.csv`, or the basic+statistic merged file (then `stats` holds the
 * statistic columns). Duration is in ms; picture sets have none.
 */
export function kuairandVideos(path: string, opts: LoadOptions = {}): DatasetStream<Video> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    const seen = new Set<number>();
    let statCols: string[] | undefined;
    return readTable(path, { required: ["video_id", "video_duration", "tag"] }, opts, report, (r) => {
      const videoId = r.int("video_id");
      const tags = parseTags(r, "tag");
      const v: Video = { videoId, tags };
      if (tags.length > 0) v.category = tags[0]!;
      const d = r.optNum("video_duration", MISSING);
      if (d !== undefined && d > 0) v.durationMs = d;
      if (r.has("author_id")) {
        const a = r.optNum("author_id", MISSING);
        if (a !== undefined) v.authorId = a;
      }
      if (r.has("upload_dt")) v.uploadDate = r.str("upload_dt");
      if (r.has("video_type")) v.videoType = r.str("video_type");
      statCols ??= statisticColumns(r);
      if (statCols.length > 0) v.stats = readStats(r, statCols);
      if (seen.has(videoId)) {
        recordDuplicate(report, r.line);
        return undefined;
      }
      seen.add(videoId);
      return v;
    });
  });
}

/** A separate KuaiRand `video_features_statistic*.csv`: per video, its statistic columns. */
export function kuairandVideoStats(path: string, opts: LoadOptions = {}): DatasetStream<{ videoId: number; stats: Record<string, number> }> {
  const report = emptyReport(basename(path));
  return datasetStream(report, () => {
    let statCols: string[] | undefined;
    return readTable(path, { required: ["video_id"] }, opts, report, (r) => {
      statCols ??= statisticColumns(r);
      return { videoId: r.int("video_id"), stats: readStats(r, statCols) };
    });
  });
}

function statisticColumns(r: Row): string[] {
  return r.header.filter((c) => !BASIC_COLUMNS.has(c));
}

function readStats(r: Row, cols: readonly string[]): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const c of cols) {
    const v = r.optNum(c, MISSING);
    if (v !== undefined) stats[c] = v;
  }
  return stats;
}
