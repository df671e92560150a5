import t from "tap";
import { createRng, detectFarms, type EngagementEvent, type FarmDetectorConfig, type FarmGroup } from "../../../models/index.ts";

const farm: FarmDetectorConfig = { windowMs: 120_000, minSessions: 5, minSharedVideos: 3, minGroupSize: 5, burstFactor: 5, maxCellSessions: 500 };

t.test("farm detection - the same groups, in the same order, as building every cell (the former code)", async (t) => {
  let groupsSeen = 0;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const rng = createRng(seed);
    const events: EngagementEvent[] = [];
    const span = 300_000 + rng.int(600_000);
    // organic traffic: many sessions, a popular head, spread over the span
    for (let i = 0; i < 2000; i++) {
      const video = rng.next() < 0.3 ? rng.int(20) : rng.int(3000);
      events.push({ session: "session/u" + rng.int(800), video, t: rng.int(span) });
    }
    // farms: groups of sessions hitting the same few videos in bursts
    for (let g = 0; g < 1 + rng.int(3); g++) {
      const members = Array.from({ length: 5 + rng.int(8) }, (_, i) => `session/bot${seed}-${g}-${i}`);
      for (let v = 0; v < 3 + rng.int(4); v++) {
        const video = 5000 + g * 10 + v;
        const at = rng.int(span);
        for (const m of members) events.push({ session: m, video, t: at + rng.int(20_000) });
      }
    }
    events.sort((a, b) => a.t - b.t);
    for (const cfg of [farm, { ...farm, burstFactor: 1 }, { ...farm, minSessions: 3, minSharedVideos: 2 }]) {
      const want = referenceDetectFarms(events, cfg);
      t.same(detectFarms(events, cfg), want, `seed ${seed}, ${JSON.stringify(cfg)}`);
      groupsSeen += want.length;
    }
  }
  t.ok(groupsSeen >= 10, `groups were found (${groupsSeen})`);
});

// The former implementation, kept as the reference.
function referenceDetectFarms(events: readonly EngagementEvent[], cfg: FarmDetectorConfig): FarmGroup[] {
  const sessionIx = new Map<string, number>();
  const names: string[] = [];
  const half = Math.max(1, cfg.windowMs / 2);
  // video -> cell -> session indices
  const cells = new Map<number, Map<number, Set<number>>>();
  const perVideo = new Map<number, number>();
  let tMin = Infinity, tMax = -Infinity;
  for (const e of events) {
    perVideo.set(e.video, (perVideo.get(e.video) ?? 0) + 1);
    if (e.t < tMin) tMin = e.t;
    if (e.t > tMax) tMax = e.t;
    let s = sessionIx.get(e.session);
    if (s === undefined) {
      s = names.length;
      sessionIx.set(e.session, s);
      names.push(e.session);
    }
    let byCell = cells.get(e.video);
    if (!byCell) cells.set(e.video, (byCell = new Map()));
    const b = Math.floor(e.t / half);
    for (const c of [b - 1, b]) {
      let set = byCell.get(c);
      if (!set) byCell.set(c, (set = new Set()));
      set.add(s);
    }
  }
  const N = names.length;
  const pairVideos = new Map<number, number>();
  const pairLast = new Map<number, number>();
  const denseVideos = new Map<number, Set<number>>(); // video -> sessions in its dense cells
  const span = Math.max(cfg.windowMs, tMax - tMin);
  for (const [video, byCell] of cells) {
    const expected = ((perVideo.get(video) ?? 0) * cfg.windowMs) / span;
    const needed = Math.max(cfg.minSessions, cfg.burstFactor * expected);
    for (const set of byCell.values()) {
      if (set.size < needed || set.size > cfg.maxCellSessions) continue;
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
