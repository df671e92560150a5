import type { Logger } from "pino";
import { InvalidArgumentError } from "../../protocols/index.ts";
import { openOnnxSession } from "../inference/onnx-runtime.ts";
import { OnnxFeedRanker } from "./onnx-ranker.ts";
import { PriorRanker, type Ranker } from "./ranker.ts";
import { readFeedRanker } from "./train-feed-ranker.ts";

/**
 * The ranker config `feed.ranker` names: `prior` (the hand-set prior) or a trained feed ranker (a version
 * folder, a `<modelsDir>/feed-ranker` folder with LATEST, or an .onnx file beside its card.json), served as
 * an `OnnxFeedRanker` whose model loads in the background (requests wait for it). Synchronous, for the node.
 */
export function createFeedRanker(spec: string, o: { dims: number; log?: Logger }): Ranker {
  if (spec === "prior") return new PriorRanker();
  const m = readFeedRanker(spec);
  const dims = m.card.dims["content"];
  if (dims !== o.dims) throw new InvalidArgumentError("feed.ranker", `model ${m.card.version} was trained on ${dims}-dim content vectors; this catalog's are ${o.dims} (dims.content)`, spec);
  const cap = Number(m.card.network["watchRatioCap"] ?? 2);
  o.log?.info({ version: m.card.version, dir: m.dir }, "feed ranker model");
  return OnnxFeedRanker.loading(m.onnx, m.card.version, { dims: o.dims, openSession: openOnnxSession, watchRatioCap: cap, log: o.log });
}
