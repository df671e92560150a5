/** The `integrity.loop` config slice. */
export interface LoopDetectorConfig {
  /** Recent impressions looked at. */
  window: number;
  /** Share of the window taken by one cluster above which the session is in a loop. */
  maxClusterShare: number;
}

export interface LoopVerdict {
  looping: boolean;
  cluster: number;
  share: number;
}

/**
 * Repeated-cluster exposure: the most frequent cluster (category or content cluster) among the last
 * `window` impressions and its share. A session looping on one cluster is what loop-exploiting content
 * aims for; the policy answers by tightening the category share cap for that session.
 */
export function detectLoop(recentClusters: ArrayLike<number>, cfg: LoopDetectorConfig): LoopVerdict {
  const n = Math.min(cfg.window, recentClusters.length);
  const from = recentClusters.length - n;
  const counts = new Map<number, number>();
  let cluster = -1;
  let top = 0;
  for (let i = from; i < recentClusters.length; i++) {
    const c = recentClusters[i]!;
    const v = (counts.get(c) ?? 0) + 1;
    counts.set(c, v);
    if (v > top) {
      top = v;
      cluster = c;
    }
  }
  const share = n > 0 ? top / n : 0;
  // a short history says nothing; require a full window before calling it a loop
  return { looping: n >= cfg.window && share > cfg.maxClusterShare, cluster, share };
}
