/** The `integrity.farm` config slice. */
export interface FarmDetectorConfig {
  /** Engagements of one video by distinct sessions within this window count as co-engagement. */
  windowMs: number;
  /** A (video, window) cell needs this many distinct sessions to be suspicious. */
  minSessions: number;
  /** Two sessions are linked when they co-engaged at least this many distinct videos. */
  minSharedVideos: number;
  /** Smallest group reported. */
  minGroupSize: number;
  /** A cell must also hold this many times the video's average per-window engagement (steady popularity is no burst). */
  burstFactor: number;
  /** Cells with more sessions than this are organic virality, not a farm (and would cost O(m²) pairs). */
  maxCellSessions: number;
}

export interface EngagementEvent {
  session: string;
  video: number;
  t: number;
}

export interface FarmGroup {
  sessions: string[];
  videos: number[];
}

/**
 * Coordinated engagement: many distinct sessions engaging the same videos within short windows, repeatedly.
 * A cell is dense when it holds at least minSessions sessions and burstFactor times what the video's
 * average rate over the observed span predicts. Time is cut into half-overlapping windows (each event lands in two cells, so a tight burst is never split
 * by a boundary); dense cells link every pair of their sessions for that video; pairs linked on at least
 * minSharedVideos distinct videos are joined with union-find; groups of minGroupSize or more are reported.
 * Organic co-watching rarely repeats for the same pair across several videos inside minutes.
 */
export function detectFarms(events: readonly EngagementEvent[], cfg: FarmDetectorConfig): FarmGroup[] {
  const sessionIx = new Map<string, number>();
  const names: string[] = [];
  const half = Math.max(1, cfg.windowMs / 2);
  // video -> cell -> session indices
  const cells = new Map<number, Map<number, Set<number>>>();
  const perVideo = new Map<number, number>();
  let tMin = Infinity, tMax = -Infinity;
  // session indices in order of first appearance over all events, as the groups are reported in that order
  const ix = new Int32Array(events.length);
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    perVideo.set(e.video, (perVideo.get(e.video) ?? 0) + 1);
    if (e.t < tMin) tMin = e.t;
    if (e.t > tMax) tMax = e.t;
    let s = sessionIx.get(e.session);
    if (s === undefined) {
      s = names.length;
      sessionIx.set(e.session, s);
      names.push(e.session);
    }
    ix[k] = s;
  }
  const span = Math.max(cfg.windowMs, tMax - tMin);
  // A cell holds at most as many sessions as its video has events: a video with fewer events than a dense
  // cell needs (most of them) gets no cells at all, which changes nothing below and saves their sets.
  const needed = (video: number): number => Math.max(cfg.minSessions, cfg.burstFactor * (((perVideo.get(video) ?? 0) * cfg.windowMs) / span));
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    if (perVideo.get(e.video)! < needed(e.video)) continue;
    const s = ix[k]!;
    let byCell = cells.get(e.video);
    if (!byCell) cells.set(e.video, (byCell = new Map()));
    const b = Math.floor(e.t / half);
    for (let c = b - 1; c <= b; c++) {
      let set = byCell.get(c);
      if (!set) byCell.set(c, (set = new Set()));
      set.add(s);
    }
  }
  const N = names.length;
  const pairVideos = new Map<number, number>();
  const pairLast = new Map<number, number>();
  const denseVideos = new Map<number, Set<number>>(); // video -> sessions in its dense cells
  for (const [video, byCell] of cells) {
    const need = needed(video);
    for (const set of byCell.values()) {
      if (set.size < need || set.size > cfg.maxCellSessions) continue;
      let members = denseVideos.get(video);
      if (!members) denseVideos.set(video, (members = new Set()));
      const m = [...set].sort((a, b) => a - b);
      for (const x of m) members.add(x);
      for (let i = 0; i < m.length; i++) {
        for (let j = i + 1; j < m.length; j++) {
          const key = m[i]! * N + m[j]!;
          // count each pair once per video even if several cells of that video link it
          if (pairLast.get(key) === video) continue;
          pairLast.set(key, video);
          pairVideos.set(key, (pairVideos.get(key) ?? 0) + 1);
        }
      }
    }
  }
  const parent = Int32Array.from({ length: N }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const linked = new Uint8Array(N);
  for (const [key, count] of pairVideos) {
    if (count < cfg.minSharedVideos) continue;
    const a = Math.floor(key / N), b = key % N;
    linked[a] = linked[b] = 1;
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent[ra] = rb;
  }
  const groups = new Map<number, number[]>();
  for (let s = 0; s < N; s++) {
    if (!linked[s]) continue;
    const r = find(s);
    const g = groups.get(r);
    if (g) g.push(s);
    else groups.set(r, [s]);
  }
  const out: FarmGroup[] = [];
  for (const members of groups.values()) {
    if (members.length < cfg.minGroupSize) continue;
    const inGroup = new Set(members);
    const videos: number[] = [];
    for (const [video, sessions] of denseVideos) {
      let c = 0;
      for (const s of sessions) if (inGroup.has(s)) c++;
      if (c >= cfg.minSessions) videos.push(video);
    }
    out.push({ sessions: members.map((s) => names[s]!), videos: videos.sort((a, b) => a - b) });
  }
  return out;
}
