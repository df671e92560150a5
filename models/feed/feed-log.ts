import { readFileSync, writeFileSync } from "node:fs";
import { InvalidArgumentError } from "../../protocols/index.ts";
import { HEADS, NUM_HEADS } from "../ranking/heads.ts";
import { feedFeatureWidth, writeFeedFeatures } from "./feed-features.ts";
import type { ObjectivePredictions, RankContext, Ranker, RankRow } from "./ranker.ts";

/** Rows of served items with their outcomes: row-major features and one target array per head (`HEADS`). */
export interface FeedLogData {
  dims: number;
  width: number;
  rows: number;
  x: Float32Array;
  /** Head-major targets in [0, 1]: watch_ratio is min(ratio, cap) / cap. */
  y: Float32Array[];
  watchRatioCap: number;
  /** Which ranker served the logged feeds (its version). */
  servedBy: string[];
}

export interface FeedLogOptions {
  dims: number;
  watchRatioCap: number;
  /** A watch shorter than this share of the video (or any skip under `skipFastMs`) is a fast skip. */
  skipFastMs: number;
  /** Completion: watched at least this share of the video. */
  completeRatio: number;
  /** Rows kept at most (the rest of the run is not logged). */
  maxRows: number;
}

interface Pending {
  row: number;
  /** The item's video (a later rewatch of it marks the row). */
  video: number;
  /** The next item of the same session decides `continue`. */
  user: number;
}

/**
 * Collects training rows from a simulated world (`fyp train ranker --world`): wrap the ranker the run
 * serves with (`wrap`) and pass this as the run's observer. For every feed request it keeps the feature rows
 * of the candidates; when the viewer reacts to a served item (the observer's `item`) that row is logged with
 * its outcome: watch ratio, complete, rewatch, skip_fast, long_view, and continue (1 when the same session
 * goes on to another item, 0 when it ends after this one).
 *
 * Rows are matched to users through the trace: a session actor computes its candidates' features
 * synchronously while it handles `feed.request`, right after the trace names it. Read-only: it sends no
 * message and sets no timer, so the run is the same with or without it.
 */
export class FeedLogRecorder {
  private readonly width: number;
  private x: Float32Array;
  private readonly y: Float32Array[];
  private rows = 0;
  private current: number | undefined;
  /** Per user: the last request's candidates (video id -> features). */
  private readonly candidates = new Map<number, Map<number, Float32Array>>();
  private readonly last = new Map<number, Pending>();
  private readonly servedBy = new Set<string>();
  unmatched = 0;

  constructor(private readonly o: FeedLogOptions) {
    this.width = feedFeatureWidth(o.dims);
    this.x = new Float32Array(Math.min(o.maxRows, 65_536) * this.width);
    this.y = HEADS.map(() => new Float32Array(Math.min(o.maxRows, 65_536)));
  }

  /** A ranker that serves through `inner` and remembers the candidates' features. */
  wrap(inner: Ranker): Ranker {
    const self = this;
    return {
      get version() {
        return inner.version;
      },
      predict(rows: readonly RankRow[], ctx: RankContext): ObjectivePredictions[] | Promise<ObjectivePredictions[]> {
        self.remember(rows, ctx);
        const out = inner.predict(rows, ctx);
        if (!(out instanceof Promise)) {
          self.servedBy.add(inner.version);
          return out;
        }
        // a model's version is known once it has scored (the first one may still be loading)
        return out.then((p) => {
          self.servedBy.add(inner.version);
          return p;
        });
      },
    };
  }

  // ---- the observer side (SimulationObserver in loadtest/) ------------------------------------------

  attach(): void {}

  trace(_at: number, id: string, msg: { type: string }): void {
    if (msg.type === "feed.request" && id.startsWith("session/u")) this.current = Number(id.slice(9));
  }

  feed(): void {}

  item(user: number, videoId: number, _category: number, watchMs: number, watchRatio: number, skipped: boolean, _liked: boolean, rewatched: boolean): void {
    const prev = this.last.get(user);
    if (prev !== undefined) {
      this.y[3]![prev.row] = 1;
      this.last.delete(user);
    }
    const f = this.candidates.get(user)?.get(videoId);
    if (f === undefined) {
      this.unmatched++;
      return;
    }
    if (this.rows >= this.o.maxRows) return;
    const r = this.grow();
    this.x.set(f, r * this.width);
    const cap = this.o.watchRatioCap;
    const y = this.y;
    y[0]![r] = Math.min(watchRatio, cap) / cap;
    y[1]![r] = !skipped && watchRatio >= this.o.completeRatio ? 1 : 0;
    y[2]![r] = rewatched ? 1 : 0;
    y[3]![r] = 0; // until the session's next item
    y[4]![r] = skipped && watchMs < this.o.skipFastMs ? 1 : 0;
    y[5]![r] = !skipped && watchRatio >= 0.5 ? 1 : 0;
    this.last.set(user, { row: r, user, video: videoId });
  }

  /** The viewer rewatched the item it last reacted to (outcomes that arrive as their own event, cluster nodes). */
  rewatch(user: number, videoId: number): void {
    const p = this.last.get(user);
    if (p !== undefined && p.video === videoId) this.y[2]![p.row] = 1;
  }

  /** Rows logged so far. */
  get logged(): number {
    return this.rows;
  }

  session(user: number): void {
    // the session ended after its last item: continue stays 0
    this.last.delete(user);
    this.candidates.delete(user);
  }

  finish(): void {}

  /** The rows logged so far. */
  data(): FeedLogData {
    return {
      dims: this.o.dims, width: this.width, rows: this.rows, watchRatioCap: this.o.watchRatioCap,
      x: this.x.slice(0, this.rows * this.width), y: this.y.map((a) => a.slice(0, this.rows)), servedBy: [...this.servedBy],
    };
  }

  private remember(rows: readonly RankRow[], ctx: RankContext): void {
    const user = this.current;
    this.current = undefined;
    if (user === undefined) return;
    const m = new Float32Array(rows.length * this.width);
    writeFeedFeatures(m, rows, ctx, this.o.dims);
    const byId = new Map<number, Float32Array>();
    rows.forEach((r, i) => byId.set(r.video.id, m.subarray(i * this.width, (i + 1) * this.width)));
    this.candidates.set(user, byId);
  }

  private grow(): number {
    const r = this.rows++;
    if (r >= this.y[0]!.length) {
      const cap = Math.min(this.o.maxRows, this.y[0]!.length * 2);
      const x = new Float32Array(cap * this.width);
      x.set(this.x);
      this.x = x;
      for (let h = 0; h < NUM_HEADS; h++) {
        const a = new Float32Array(cap);
        a.set(this.y[h]!);
        this.y[h] = a;
      }
    }
    return r;
  }
}

/** Writes a feed log as one file: a JSON header line, then the features and targets as float32. */
export function saveFeedLog(path: string, d: FeedLogData): void {
  const header = Buffer.from(JSON.stringify({ format: "fyp-feed-log/1", dims: d.dims, width: d.width, rows: d.rows, watchRatioCap: d.watchRatioCap, heads: HEADS, servedBy: d.servedBy }) + "\n");
  const parts = [header, Buffer.from(d.x.buffer, d.x.byteOffset, d.x.byteLength), ...d.y.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))];
  writeFileSync(path, Buffer.concat(parts));
}

export function loadFeedLog(path: string): FeedLogData {
  const buf = readFileSync(path);
  const nl = buf.indexOf(10);
  let h: { format?: string; dims: number; width: number; rows: number; watchRatioCap: number; servedBy: string[] };
  try {
    h = JSON.parse(buf.subarray(0, nl).toString("utf8"));
  } catch {
    throw new InvalidArgumentError("events", "is not a feed log (fyp train ranker --world --save-log)", path);
  }
  if (h.format !== "fyp-feed-log/1") throw new InvalidArgumentError("events", "is not a feed log (fyp train ranker --world --save-log)", path);
  const body = buf.subarray(nl + 1);
  const want = (h.rows * h.width + h.rows * NUM_HEADS) * 4;
  if (body.length !== want) throw new InvalidArgumentError("events", `a feed log of ${h.rows} rows needs ${want} bytes after its header, has ${body.length}`, path);
  const all = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
  const x = all.subarray(0, h.rows * h.width);
  const y = HEADS.map((_, k) => all.subarray(h.rows * h.width + k * h.rows, h.rows * h.width + (k + 1) * h.rows));
  return { dims: h.dims, width: h.width, rows: h.rows, watchRatioCap: h.watchRatioCap, x, y, servedBy: h.servedBy };
}
