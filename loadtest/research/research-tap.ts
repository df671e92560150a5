import type { FeedServices, VirtualClock } from "../../actors/index.ts";
import type { Config } from "../../configs/index.ts";
import type { SyntheticWorld } from "../../models/index.ts";
import type { SimulationObserver } from "../simulate.ts";
import { servedIld, systemView, trackEvery, type RecorderEnv, type ResearchRecorder, type SystemView } from "./research-recorder.ts";

/** Event kinds in a tap's batch, each `[kind, at, ...fields]` of a fixed width. */
const ITEM = 0, FEED = 1, SESSION = 2, NEW_VIDEO = 3, SET_STAGE = 4, SIGNAL = 5;
const WIDTH = [8, 4, 5, 4, 4, 2];

/**
 * What one node of a parallel run saw since its last batch, in the order it saw it: its viewers' events and
 * the traced messages a research recorder reads, flat (a feed as its intra-list diversity, computed here
 * where the catalog is), the true tastes of viewers it tracks that it has not sent yet, and its read
 * models' figures at the batch's end.
 */
export interface TapBatch {
  events: number[];
  /** Actor and video ids the events refer to by index. */
  strings: string[];
  tastes: [number, number[]][];
  system: SystemView;
}

/** The recorder's settings about the run, sent once by node 0 (its cohorts, categories, initial catalog). */
export type TapMeta = Omit<RecorderEnv, "system" | "taste"> & { system: SystemView };

/**
 * A node's side of a research recorder in a parallel run (simulate.workers > 1): it records what the
 * recorder would see on this node, and `take` hands it over at each epoch's end. `ResearchMerge` on the
 * main thread replays every node's batches into one recorder in virtual-time order.
 */
export class ResearchTap implements SimulationObserver {
  private events: number[] = [];
  private strings: string[] = [];
  private tastes: [number, number[]][] = [];
  private readonly sent = new Set<number>();
  private feedSvc: FeedServices | undefined;
  private world: SyntheticWorld | undefined;
  private trackEvery = 1;
  private metaValue: TapMeta | undefined;

  constructor(private readonly filterBubbleUsers: number) {}

  attach(env: { clock: VirtualClock; feed: FeedServices; world: SyntheticWorld; config: Readonly<Config> }): void {
    this.feedSvc = env.feed;
    this.world = env.world;
    const sim = env.config.simulate;
    this.trackEvery = trackEvery(sim.sessions, this.filterBubbleUsers);
    this.metaValue = { cohorts: env.feed.cohorts, categories: env.feed.catalog.numCategories, sessions: sim.sessions, farm: sim.farm, system: systemView(env.feed) };
  }

  meta(): TapMeta {
    if (this.metaValue === undefined) throw new Error("ResearchTap.meta(): not attached to a node");
    return this.metaValue;
  }

  item(user: number, videoId: number, category: number, watchMs: number, watchRatio: number, skipped: boolean, liked: boolean, rewatched: boolean, at: number): void {
    this.events.push(ITEM, at, user, videoId, category, watchMs, watchRatio, (skipped ? 1 : 0) | (liked ? 2 : 0) | (rewatched ? 4 : 0));
    // the recorder tracks every trackEvery-th viewer: their true taste goes along once
    if (user % this.trackEvery === 0 && !this.sent.has(user)) {
      this.sent.add(user);
      this.tastes.push([user, Array.from(this.world!.user(user).affinity)]);
    }
  }

  feed(user: number, videoIds: readonly string[], at: number): void {
    this.events.push(FEED, at, user, servedIld(this.feedSvc!, videoIds));
  }

  session(user: number, items: number, watchMs: number, at: number): void {
    this.events.push(SESSION, at, user, items, watchMs);
  }

  trace(at: number, id: string, msg: { type: string }): void {
    switch (msg.type) {
      case "viral.new-video": {
        const m = msg as { type: string; videoId: string; category: number };
        this.events.push(NEW_VIDEO, at, m.category, this.strings.push(m.videoId) - 1);
        return;
      }
      case "video.set-stage":
        this.events.push(SET_STAGE, at, (msg as { type: string; stage: number }).stage, this.strings.push(id) - 1);
        return;
      case "integrity.signal":
        this.events.push(SIGNAL, at);
        return;
      default:
        return;
    }
  }

  finish(): void {}

  /** What was recorded since the last call, with the node's read-model figures now. */
  take(): TapBatch {
    const batch: TapBatch = { events: this.events, strings: this.strings, tastes: this.tastes, system: systemView(this.feedSvc!) };
    this.events = [];
    this.strings = [];
    this.tastes = [];
    return batch;
  }
}

/**
 * The main thread's side: takes every node's batches (one per epoch end, in order) and, once each node's
 * k-th batch is in, replays their events into the recorder merged by virtual time (ties in node order, each
 * node's own order kept). A window the recorder closes while batch k is replayed reads node 0's read-model
 * figures at the end of batch k - 1 (the epoch end at or after the window's end, when epochs divide the
 * window). Same batches, same replay: the research data repeat with the run.
 */
export class ResearchMerge {
  private readonly queues: TapBatch[][];
  private readonly tastes = new Map<number, number[]>();
  private view: SystemView;

  constructor(private readonly recorder: ResearchRecorder, private readonly count: number, meta: TapMeta) {
    this.queues = Array.from({ length: count }, () => []);
    this.view = meta.system;
    recorder.attachEnv({
      cohorts: meta.cohorts, categories: meta.categories, sessions: meta.sessions, farm: meta.farm,
      system: () => this.view,
      taste: (user) => {
        const t = this.tastes.get(user);
        if (t === undefined) throw new Error(`research merge: no taste sent for tracked viewer ${user}`);
        return t;
      },
    });
  }

  add(node: number, batch: TapBatch): void {
    this.queues[node]!.push(batch);
    while (this.queues.every((q) => q.length > 0)) this.replay(this.queues.map((q) => q.shift()!));
  }

  /** After every node's last batch: the recorder's last windows close at `atMs`. */
  finish(atMs: number): void {
    if (this.queues.some((q) => q.length > 0)) throw new Error("research merge: a node's batches are missing at the end of the run");
    this.recorder.finish(atMs);
  }

  private replay(batches: TapBatch[]): void {
    for (const b of batches) for (const [user, taste] of b.tastes) this.tastes.set(user, taste);
    const pos = new Array<number>(this.count).fill(0);
    for (;;) {
      // the node whose next event is earliest (the first such node on a tie)
      let node = -1, at = Infinity;
      for (let j = 0; j < this.count; j++) {
        const ev = batches[j]!.events;
        if (pos[j]! < ev.length && ev[pos[j]! + 1]! < at) {
          at = ev[pos[j]! + 1]!;
          node = j;
        }
      }
      if (node < 0) break;
      const b = batches[node]!;
      const i = pos[node]!;
      pos[node] = i + WIDTH[b.events[i]!]!;
      this.apply(b, i);
    }
    this.view = batches[0]!.system;
  }

  private apply(b: TapBatch, i: number): void {
    const e = b.events;
    const at = e[i + 1]!;
    const r = this.recorder;
    switch (e[i]) {
      case ITEM: {
        const flags = e[i + 7]!;
        r.item(e[i + 2]!, e[i + 3]!, e[i + 4]!, e[i + 5]!, e[i + 6]!, (flags & 1) !== 0, (flags & 2) !== 0, (flags & 4) !== 0, at);
        return;
      }
      case FEED:
        r.feedIld(e[i + 2]!, e[i + 3]!, at);
        return;
      case SESSION:
        r.session(e[i + 2]!, e[i + 3]!, e[i + 4]!, at);
        return;
      case NEW_VIDEO:
        r.trace(at, "", { type: "viral.new-video", videoId: b.strings[e[i + 3]!]!, category: e[i + 2]! } as { type: string });
        return;
      case SET_STAGE:
        r.trace(at, b.strings[e[i + 3]!]!, { type: "video.set-stage", stage: e[i + 2]! } as { type: string });
        return;
      case SIGNAL:
        r.trace(at, "", { type: "integrity.signal" });
        return;
      default:
        throw new Error(`research merge: unknown event kind ${e[i]}`);
    }
  }
}
