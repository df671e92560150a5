/** The public datasets the loaders understand. */
export const DATASET_NAMES = ["kuairand", "kuairec", "microlens"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function isDatasetName(s: string): s is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(s);
}

/** A video in the unified schema. Absent fields are `undefined` (not every source has them). */
export interface Video {
  videoId: number;
  /** Milliseconds; undefined when the source does not know it (KuaiRand picture sets). */
  durationMs?: number;
  /** Primary category: the first tag (KuaiRand `tag`, KuaiRec `feat`/first-level category). */
  category?: number;
  /** Every tag / category id, primary first. */
  tags: number[];
  authorId?: number;
  title?: string;
  /** KuaiRec category names, first to third level. */
  categoryNames?: string[];
  uploadDate?: string;
  videoType?: string;
  /** Source statistics (KuaiRand statistic features: show_cnt, play_cnt, ...). */
  stats?: Record<string, number>;
}

/**
 * A user in the unified schema. Follower counts are kept for analysis only: they are never a ranking
 * feature (DESIGN §5).
 */
export interface User {
  userId: number;
  activeDegree?: string;
  registerDays?: number;
  isVideoAuthor?: boolean;
  isLiveStreamer?: boolean;
  followUserNum?: number;
  fansUserNum?: number;
  friendUserNum?: number;
  /** The source's anonymous one-hot features (onehot_feat0..17); -124 (missing) becomes undefined -> absent. */
  onehot?: Record<string, number>;
}

/**
 * Labels derived from play time and duration (see labels.ts and docs/data.md). `null` means the source
 * cannot tell (no play time, or no duration).
 */
export interface Labels {
  watchRatio: number | null;
  complete: boolean | null;
  validPlay: boolean | null;
  longView: boolean | null;
  skipFast: boolean | null;
  rewatch: boolean | null;
}

/** Explicit signals a source logged; absent when the source does not have them. */
export interface Signals {
  click?: boolean;
  like?: boolean;
  follow?: boolean;
  comment?: boolean;
  forward?: boolean;
  hate?: boolean;
  profileEnter?: boolean;
  /** KuaiRand's logged long_view flag (our `labels.longView` is re-derived from its published definition). */
  longView?: boolean;
}

/** Where an interaction sits in its user's sessions (boundaries: a gap longer than `sessionGapMs`). */
export interface SessionInfo {
  /** 0-based session number within the user's interactions in this load. */
  session: number;
  /** 0-based position within the session. */
  position: number;
  /** Session continuation label: the user's next interaction follows within the gap. */
  continues: boolean;
}

export interface Interaction {
  userId: number;
  videoId: number;
  /**
   * Epoch milliseconds. MicroLens pairs.tsv has no timestamps: there it is the 0-based position in the
   * user's sequence and `timeIsOrdinal` is true.
   */
  timeMs: number;
  timeIsOrdinal?: boolean;
  playMs?: number;
  durationMs?: number;
  labels: Labels;
  signals: Signals;
  /** KuaiRand: the video was shown by random exposure (unbiased log). */
  isRand?: boolean;
  /** KuaiRand: the app tab (1 = featured-video feed ...). */
  tab?: number;
  /** null when the source's time is ordinal (no gap is measurable). */
  session: SessionInfo | null;
}
