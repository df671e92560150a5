import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { InvalidArgumentError } from "../../../protocols/index.ts";

/** The fitted parameters of a synthetic world: numbers only, small enough to commit. */
export interface WorldParams {
  version: 1;
  source: { dataset: string; users: number; videos: number; interactions: number; meanWatchRatio: number };
  /** Video durations: quantiles at evenly spaced probabilities, last segment ending at tailMax. */
  durationMs: { quantiles: number[]; tailMax: number };
  categories: {
    ids: number[];
    /** Share of videos in each category (sizes of the video blocks). */
    videoShare: number[];
    /** Share of interactions in each category (the base measure of user affinity). */
    interactionShare: number[];
  };
  /** Interactions per user over the source's window. */
  userActivity: { quantiles: number[]; tailMax: number };
  /** Users' category affinity ~ Dirichlet(concentration · interactionShare), fitted by moments. */
  affinity: { concentration: number };
  /** How much more often a video of each duration bin is watched than its share of the catalogue. */
  exposure: { durationEdgesMs: number[]; weight: number[] };
  /** Watch-ratio quantiles per (affinity bin, duration bin): the response to taste and length. */
  watchRatio: { affinityEdges: number[]; durationEdgesMs: number[]; cells: { quantiles: number[]; tailMax: number; n: number }[][] };
}

/** Where the committed KuaiRand fit lives, relative to the repository root. */
export const SHIPPED_PARAMS_PATH = "models/datasets/synthetic/kuairand-params.json";

/** The committed KuaiRand fit: lets the embedded main job run with no dataset on the machine. */
export function loadShippedParams(): WorldParams {
  return readWorldParams(fileURLToPath(new URL("./kuairand-params.json", import.meta.url)));
}

export function readWorldParams(path: string): WorldParams {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new InvalidArgumentError("synthetic.params", `cannot read world parameters (${(e as Error).message})`, path);
  }
  const p = v as Partial<WorldParams>;
  if (p.version !== 1 || !p.categories || !p.durationMs || !p.watchRatio || !p.userActivity || !p.affinity || !p.exposure) {
    throw new InvalidArgumentError("synthetic.params", "not a version-1 world parameter file", path);
  }
  return p as WorldParams;
}

export function writeWorldParams(path: string, params: WorldParams): void {
  writeFileSync(path, JSON.stringify(params) + "\n");
}

/** The world parameters a config's `synthetic.params` names: "" is the committed KuaiRand fit. */
export function worldParamsFor(paramsPath: string): WorldParams {
  return paramsPath === "" ? loadShippedParams() : readWorldParams(paramsPath);
}
