import type { Labels } from "./schema.ts";

/** Thresholds of the derived labels (config `datasets.labels`). */
export interface LabelRules {
  /** skip_fast: play time strictly below this. */
  skipFastMs: number;
  /** rewatch: watch ratio at or above this (the video looped at least once more). */
  rewatchRatio: number;
  /** A user's interactions further apart than this start a new session. */
  sessionGapMs: number;
}

// KuaiRand's published definitions (KuaiRand documentation, "valid play" and "long view").
const VALID_PLAY_MS = 7_000;
const LONG_VIEW_MS = 18_000;

/** The labels of one interaction when the source has no play time (MicroLens): all unknown. */
export const UNKNOWN_LABELS: Readonly<Labels> = Object.freeze({
  watchRatio: null, complete: null, validPlay: null, longView: null, skipFast: null, rewatch: null,
});

/**
 * Labels from play time and duration, both in milliseconds.
 *
 * - watch_ratio = play / duration; null when duration is missing or <= 0 (KuaiRand has ~2.8k rows with
 *   duration_ms = 0: a ratio would be infinite and poison means).
 * - complete = play >= duration; null when duration is unknown.
 * - valid_play (KuaiRand) = play >= duration if duration <= 7 s, else play > 7 s.
 * - long_view (KuaiRand) = play >= duration if duration <= 18 s, else play >= 18 s.
 *   With an unknown duration both use their long-video branch, the only one that does not need it.
 * - skip_fast = play < rules.skipFastMs.
 * - rewatch = watch_ratio >= rules.rewatchRatio; null when the ratio is.
 */
export function deriveLabels(playMs: number, durationMs: number | undefined, rules: LabelRules): Labels {
  const known = durationMs !== undefined && durationMs > 0;
  const watchRatio = known ? playMs / durationMs : null;
  return {
    watchRatio,
    complete: known ? playMs >= durationMs : null,
    validPlay: known && durationMs <= VALID_PLAY_MS ? playMs >= durationMs : playMs > VALID_PLAY_MS,
    longView: known && durationMs <= LONG_VIEW_MS ? playMs >= durationMs : playMs >= LONG_VIEW_MS,
    skipFast: playMs < rules.skipFastMs,
    rewatch: watchRatio === null ? null : watchRatio >= rules.rewatchRatio,
  };
}
