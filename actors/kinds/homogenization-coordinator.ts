import { assertNever, type CoordMsg, type HomogenizationSummary } from "../../protocols/index.ts";
import { ExposureWindow, HomogenizationStabilizer, categoryEntropy, excessGini, uniformCoverage, type ExposureWindowState, type StabilizerState } from "../../models/index.ts";
import { defineActor, type ActorContext } from "../actor-behavior.ts";
import { feedServices } from "../services/feed-services.ts";
import { endsRound } from "./coordinator-kind.ts";

/** One sample of the diversity metrics over the recent exposure window. */
export interface HomogenizationSample {
  at: number;
  /** Raw exposure Gini of the window. */
  gini: number;
  /** The same beyond chance (diversity-metrics `excessGini`): what the stabilizer bounds by giniMax. */
  giniExcess: number;
  coverage: number;
  /** Coverage over what uniform random exposure of the window's volume would reach (what coverageMin bounds). */
  coverageVsChance: number;
  entropy: number;
  ild: number;
  noveltyRate: number;
  maxCategoryRun: number;
  categoryShareCap: number;
  exposurePenalty: number;
  exposures: number;
}

export interface HomogenizationState {
  /**
   * Decayed exposure count per video id (the recent window): ids ascending and counts, parallel. States
   * written before held an id -> count record, converted on the next summary.
   */
  exposure: ExposureWindowState | Record<string, number>;
  categories: number[];
  lastAt: number;
  stabilizer: StabilizerState | null;
  samples: HomogenizationSample[];
  /** The nodes a round waits for, and those in the current round (see `endsRound`). */
  nodes: string[];
  reported: string[];
  /** The current round's summaries added up into one (what one node would have sent), merged when it ends. */
  pending: HomogenizationSummary | null;
}

const SAMPLES_MAX = 20_000;

const initialState = (): HomogenizationState => ({
  exposure: ExposureWindow.empty(), categories: [], lastAt: -1, stabilizer: null, samples: [], nodes: [], reported: [], pending: null,
});

/**
 * Summary `b` added to the round's summary `a`: one entry per video (counts summed, in order of first
 * appearance), as one node's aggregator would have sent them, so a round's state holds one summary's worth
 * of ids however many nodes reported.
 */
function added(a: HomogenizationSummary, b: HomogenizationSummary): HomogenizationSummary {
  const videoIds = a.videoIds.slice(), videoCounts = a.videoCounts.slice();
  const at = new Map<number, number>();
  for (let i = 0; i < videoIds.length; i++) at.set(videoIds[i]!, i);
  for (let i = 0; i < b.videoIds.length; i++) {
    const id = b.videoIds[i]!;
    const k = at.get(id);
    if (k !== undefined) videoCounts[k]! += b.videoCounts[i]!;
    else {
      at.set(id, videoIds.length);
      videoIds.push(id);
      videoCounts.push(b.videoCounts[i]!);
    }
  }
  const categoryCounts = a.categoryCounts.slice();
  b.categoryCounts.forEach((c, k) => (categoryCounts[k] = (categoryCounts[k] ?? 0) + c));
  return {
    type: "homog.summary", node: `${a.node}+${b.node}`, exposures: a.exposures + b.exposures, distinctVideos: videoIds.length, categoryCounts,
    videoIds, videoCounts, ildSum: a.ildSum + b.ildSum, feeds: a.feeds + b.feeds,
  };
}

/**
 * coord/homogenization: merges the nodes' exposure summaries into a decaying window, computes exposure Gini,
 * catalog coverage, category entropy and intra-list diversity, and lets the stabilizer move the novelty rate
 * and diversity constraints within their bounds (published to every node's read models).
 */
export const homogenizationCoordinator = defineActor<HomogenizationState, CoordMsg>({
  kind: "coord",
  initialState,
  // a state saved before a field existed gets that field's initial value
  restore: (data) => ({ ...initialState(), ...(data as Partial<HomogenizationState>) }),
  receive(ctx, msg): unknown {
    switch (msg.type) {
      case "homog.summary": {
        // one merge, one sample and one stabilizer step per round of the nodes' flushes: with N nodes, a
        // merge per summary took N samples of partial windows and stepped the stabilizer N times as often
        // (and each merge walks the whole window, so the coordinator's node did N times the work)
        const s = ctx.state;
        const round = s.pending === null ? msg : added(s.pending, msg);
        if (!endsRound(s.nodes, s.reported, msg.node)) {
          s.pending = round;
          return undefined;
        }
        s.pending = null;
        return merge(ctx, round);
      }
      case "coord.get-state":
        return { samples: ctx.state.samples, last: ctx.state.samples[ctx.state.samples.length - 1] ?? null };
      case "coord.tick":
      case "viral.stage-result":
      case "viral.new-video":
      case "model.trained":
      case "integrity.signal":
      case "integrity.engagements":
        return undefined;
      default:
        return assertNever(msg, "homogenization message");
    }
  },
  // a merge spread over turns changes the window in place: one still running finishes before the state is stored
  snapshot(state) {
    merging.get(state)?.finish();
    return state;
  },
});

/** Clock time a wall-clock merge runs before it lets the event loop go (requests, I/O) for a turn. */
const MERGE_SLICE_MS = 2;

/** The merge running over turns per coordinator state (its actor is busy meanwhile: one at a time). */
const merging = new WeakMap<HomogenizationState, SteppedJob>();

/**
 * Merges a summary. On the wall clock (a serving node) the merge runs in slices of MERGE_SLICE_MS with the
 * event loop free between them: a node's summary of ~60k videos into a 100k-video window is 13-30 ms of
 * work, and in one turn every request read meanwhile waited for it (p99 above 20 ms at 1,000 GetFeed/s).
 * The actor stays busy until the merge is done (its next summary and state queries wait in its mailbox),
 * so the state it answers with is always a whole merge's. Virtual time runs it to the end at once: the
 * same steps, the same results.
 */
function merge(ctx: ActorContext<HomogenizationState, CoordMsg>, m: HomogenizationSummary): Promise<void> | undefined {
  const job = new SteppedJob(mergeSteps(ctx, m));
  if (ctx.clock.kind !== "wall") {
    job.finish();
    return undefined;
  }
  if (job.runFor(MERGE_SLICE_MS)) return undefined;
  const s = ctx.state;
  merging.set(s, job);
  return new Promise<void>((resolve, reject) => {
    const slice = (): void => {
      try {
        if (!job.runFor(MERGE_SLICE_MS)) {
          setImmediate(slice);
          return;
        }
      } catch (e) {
        reject(e);
        return;
      } finally {
        if (job.done && merging.get(s) === job) merging.delete(s);
      }
      resolve();
    };
    setImmediate(slice);
  });
}

/** Stepped work (a generator) run in time slices, or to its end at once. */
class SteppedJob {
  done = false;
  constructor(private readonly steps: Generator<void, void, void>) {}

  /** Runs steps for about `ms` of clock time (at least one); true once the work is done. */
  runFor(ms: number): boolean {
    if (this.done) return true;
    const until = performance.now() + ms;
    try {
      do {
        if (this.steps.next().done === true) this.done = true;
      } while (!this.done && performance.now() < until);
    } catch (e) {
      this.done = true;
      throw e;
    }
    return this.done;
  }

  /** Runs the rest now. */
  finish(): void {
    this.runFor(Infinity);
  }
}

/** The merge of one summary, in bounded steps (the window's update; the metrics and stabilizer in one). */
function* mergeSteps(ctx: ActorContext<HomogenizationState, CoordMsg>, m: HomogenizationSummary): Generator<void, void, void> {
  const f = feedServices(ctx.services);
  const s = ctx.state;
  const now = ctx.clock.now();
  const cfg = f.homogenization;
  const win = exposureWindow(s);
  // exponential decay of the window by elapsed clock time
  let decay: number | null = null;
  if (s.lastAt >= 0 && now > s.lastAt) {
    const k = (decay = Math.pow(0.5, (now - s.lastAt) / cfg.windowHalfLifeMs));
    s.categories = s.categories.map((c) => c * k);
  }
  s.lastAt = now;
  yield* win.update(decay, 0.01, m.videoIds, m.videoCounts);
  m.categoryCounts.forEach((c, k) => (s.categories[k] = (s.categories[k] ?? 0) + c));
  // Gini over the whole catalog with unexposed videos as zeros, from the exposed ones only (kept sorted
  // between summaries): this runs on a serving node per flush, where a catalog-sized array and sort
  // showed up as tail latency, and per-summary sorts and string keys as ~7% of a simulation.
  const size = f.catalog.size;
  const volume = yield* win.volumeSteps();
  const gini = yield* win.giniSteps(size);
  const coverage = size > 0 ? Math.min(1, win.size / size) : 0;
  const chance = uniformCoverage(volume, size);
  const metrics = {
    gini, giniExcess: excessGini(gini, volume, size), coverage, coverageVsChance: chance > 0 ? Math.min(1, coverage / chance) : 1, entropy: categoryEntropy(s.categories, true),
  };
  let settings = { noveltyRate: f.readModels.noveltyRate, categoryShareCap: f.readModels.maxCategoryShare, maxCategoryRun: f.readModels.maxCategoryRun, exposurePenalty: f.readModels.exposurePenalty };
  // Off means off: the configured novelty rate and diversity rules stay exactly as configured.
  if (cfg.stabilizer.enabled) {
    const stab = s.stabilizer !== null ? HomogenizationStabilizer.fromState(cfg.stabilizer, s.stabilizer) : new HomogenizationStabilizer(cfg.stabilizer, f.readModels.noveltyRate);
    // the bounds are on what is beyond chance: a quiet window's raw Gini is high, and its coverage low, by sampling alone
    const step = stab.update({ gini: metrics.giniExcess, coverage: metrics.coverageVsChance, entropy: metrics.entropy });
    s.stabilizer = stab.toState();
    if (step.direction !== "hold" || s.samples.length === 0) {
      f.readModels.publish({ type: "novelty", rate: step.noveltyRate, maxCategoryShare: step.categoryShareCap, maxCategoryRun: step.maxCategoryRun, exposurePenalty: step.exposurePenalty });
    }
    settings = step;
  }
  s.samples.push({
    at: now, ...metrics, ild: m.feeds > 0 ? m.ildSum / m.feeds : 0, noveltyRate: settings.noveltyRate,
    maxCategoryRun: settings.maxCategoryRun, categoryShareCap: settings.categoryShareCap, exposurePenalty: settings.exposurePenalty, exposures: m.exposures,
  });
  if (s.samples.length > SAMPLES_MAX) s.samples.splice(0, s.samples.length - SAMPLES_MAX);
}

/** The live window over the state's exposure lists (rebuilt after a restore; older record states converted). */
const windows = new WeakMap<object, ExposureWindow>();
function exposureWindow(s: HomogenizationState): ExposureWindow {
  let st = s.exposure;
  if (!Array.isArray((st as ExposureWindowState).ids)) s.exposure = st = ExposureWindow.fromRecord(st as Record<string, number>);
  let w = windows.get(st);
  if (w === undefined) windows.set(st, (w = new ExposureWindow(st as ExposureWindowState)));
  return w;
}
