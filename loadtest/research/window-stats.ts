import { categoryEntropy, excessGini, intraListDiversity, sparseGini } from "../../models/index.ts";

/** Engagement and exposure counters of one window (a time window of one cohort, or a fixed-count phase). */
export class WindowStats {
  items = 0;
  watchMs = 0;
  completions = 0;
  skips = 0;
  likes = 0;
  rewatches = 0;
  sessions = 0;
  sessionItems = 0;
  sessionWatchMs = 0;
  feeds = 0;
  ildSum = 0;
  readonly exposures = new Map<number, number>();
  readonly categories: Float64Array;
  private readonly users = new Set<number>();

  constructor(categories: number) {
    this.categories = new Float64Array(categories);
  }

  item(user: number, videoId: number, category: number, watchMs: number, watchRatio: number, skipped: boolean, liked: boolean, rewatched: boolean): void {
    this.items++;
    this.watchMs += watchMs;
    if (watchRatio >= 1) this.completions++;
    if (skipped) this.skips++;
    if (liked) this.likes++;
    if (rewatched) this.rewatches++;
    this.exposures.set(videoId, (this.exposures.get(videoId) ?? 0) + 1);
    if (category >= 0 && category < this.categories.length) this.categories[category]! += 1;
    this.users.add(user);
  }

  feed(ild: number): void {
    this.feeds++;
    this.ildSum += ild;
  }

  session(items: number, watchMs: number): void {
    this.sessions++;
    this.sessionItems += items;
    this.sessionWatchMs += watchMs;
  }

  /** The window's metrics; `catalogSize` is the catalog at the window's end (uploads included). */
  metrics(catalogSize: number): WindowMetrics {
    const items = Math.max(1, this.items);
    const gini = sparseGini(this.exposures.values(), catalogSize);
    return {
      items: this.items,
      activeUsers: this.users.size,
      watchPerItemS: r(this.watchMs / items / 1000, 3),
      completionRate: r(this.completions / items),
      skipRate: r(this.skips / items),
      likeRate: r(this.likes / items),
      rewatchRate: r(this.rewatches / items),
      sessions: this.sessions,
      sessionItems: this.sessions === 0 ? 0 : r(this.sessionItems / this.sessions, 2),
      sessionWatchS: this.sessions === 0 ? 0 : r(this.sessionWatchMs / this.sessions / 1000, 1),
      coverage: catalogSize > 0 ? r(this.exposures.size / catalogSize) : 0,
      gini: r(gini),
      giniExcess: r(excessGini(gini, this.items, catalogSize)),
      entropy: r(categoryEntropy(this.categories, true)),
      ild: this.feeds === 0 ? 0 : r(this.ildSum / this.feeds),
    };
  }
}

/** What one window says (rates per served-and-watched item). */
export interface WindowMetrics {
  items: number;
  activeUsers: number;
  watchPerItemS: number;
  completionRate: number;
  skipRate: number;
  likeRate: number;
  rewatchRate: number;
  /** Sessions that ended in the window, their mean length in items and watch seconds. */
  sessions: number;
  sessionItems: number;
  sessionWatchS: number;
  /** Share of the catalog shown at least once in the window. */
  coverage: number;
  /** Exposure Gini over the whole catalog in the window. */
  gini: number;
  /** The same beyond what chance leaves at the window's volume (models `excessGini`; what the stabilizer bounds). */
  giniExcess: number;
  /** Normalised category entropy of the window's impressions. */
  entropy: number;
  /** Mean intra-list diversity (1 − cosine, content vectors) of the feeds served in the window. */
  ild: number;
}

/** Intra-list diversity of one served feed from the catalog's content vectors. */
export function feedIld(vectors: readonly ArrayLike<number>[]): number {
  return intraListDiversity(vectors);
}

export function r(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
