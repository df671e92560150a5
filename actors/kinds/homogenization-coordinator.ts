import { assertNever, type CoordMsg, type HomogenizationSummary } from "../../protocols/index.ts";
import { ExposureWindow, HomogenizationStabilizer, categoryEntropy, excessGini, uniformCoverage, type ExposureWindowState, type StabilizerState } from "../../models/index.ts";
import { defineActor, type ActorContext } from "../actor-behavior.ts";
import { feedServices } from "../services/feed-services.ts";

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
}

const SAMPLES_MAX = 20_000;

/**
 * coord/homogenization: merges the nodes' exposure summaries into a decaying window, computes exposure Gini,
 * catalog coverage, category entropy and intra-list diversity, and lets the stabilizer move the novelty rate
 * and diversity constraints within their bounds (published to every node's read models).
 */
export const homogenizationCoordinator = defineActor<HomogenizationState, CoordMsg>({
  kind: "coord",
  initialState: () => ({ exposure: ExposureWindow.empty(), categories: [], lastAt: -1, stabilizer: null, samples: [] }),
  receive(ctx, msg): unknown {
    switch (msg.type) {
      case "homog.summary":
        merge(ctx, msg);
        return undefined;
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
});

function merge(ctx: ActorContext<HomogenizationState, CoordMsg>, m: HomogenizationSummary): void {
  const f = feedServices(ctx.services);
  const s = ctx.state;
  const now = ctx.clock.now();
  const cfg = f.homogenization;
  const win = exposureWindow(s);
  // exponential decay of the window by elapsed clock time
  if (s.lastAt >= 0 && now > s.lastAt) {
    const k = Math.pow(0.5, (now - s.lastAt) / cfg.windowHalfLifeMs);
    win.decay(k, 0.01);
    s.categories = s.categories.map((c) => c * k);
  }
  s.lastAt = now;
  win.add(m.videoIds, m.videoCounts);
  m.categoryCounts.forEach((c, k) => (s.categories[k] = (s.categories[k] ?? 0) + c));
  // Gini over the whole catalog with unexposed videos as zeros, from the exposed ones only (kept sorted
  // between summaries): this runs on a serving node per flush, where a catalog-sized array and sort
  // showed up as tail latency, and per-summary sorts and string keys as ~7% of a simulation.
  const size = f.catalog.size;
  const volume = win.volume();
  const gini = win.gini(size);
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
