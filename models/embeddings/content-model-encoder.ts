import { ModelError } from "../../protocols/index.ts";
import type { InferenceSession, SessionFactory } from "../inference/inference-session.ts";
import { ModelService, type ModelServiceOptions } from "../inference/model-service.ts";
import { CONTENT_MODEL_IO, contentFeatures, type ContentFeatureOptions, type ContentItem } from "./content-features.ts";

/**
 * The trained content model served from ONNX: videos -> featurised text + metadata ids -> one unit content
 * vector each (`undefined` for a video with neither a text nor any metadata). Calls share session runs
 * through a ModelService.
 */
export class ContentModelEncoder {
  private constructor(readonly dim: number, private readonly features: ContentFeatureOptions, private readonly service: ModelService) {}

  static async open(path: string, features: ContentFeatureOptions, openSession: SessionFactory, service: Omit<ModelServiceOptions, "onBatch">): Promise<ContentModelEncoder> {
    return ContentModelEncoder.fromSession(await openSession(path), features, service, path);
  }

  static async fromSession(session: InferenceSession, features: ContentFeatureOptions, service: Omit<ModelServiceOptions, "onBatch">, name = "content"): Promise<ContentModelEncoder> {
    const io = CONTENT_MODEL_IO;
    for (const input of [io.text, io.meta, io.mask]) {
      if (!session.inputNames.includes(input)) throw new ModelError(name, "load", `no input "${input}" (has ${session.inputNames.join(", ")})`);
    }
    if (!session.outputNames.includes(io.output)) throw new ModelError(name, "load", `no output "${io.output}"`);
    // the width is only known from a run: probe with one empty row
    const probe = await session.run({
      [io.text]: { data: new Int32Array(features.textMaxTokens), dims: [1, features.textMaxTokens] },
      [io.meta]: { data: new Int32Array(features.metaMaxTokens), dims: [1, features.metaMaxTokens] },
      [io.mask]: { data: new Float32Array(2), dims: [1, 2] },
    });
    const dim = probe[io.output]!.data.length;
    const svc = new ModelService(name, service);
    await svc.load("1", session);
    return new ContentModelEncoder(dim, features, svc);
  }

  async embed(items: readonly ContentItem[]): Promise<(Float32Array | undefined)[]> {
    if (items.length === 0) return [];
    const io = CONTENT_MODEL_IO;
    const f = contentFeatures(items, this.features);
    const { outputs } = await this.service.infer({
      [io.text]: { data: f.text, dims: [f.rows, this.features.textMaxTokens] },
      [io.meta]: { data: f.meta, dims: [f.rows, this.features.metaMaxTokens] },
      [io.mask]: { data: f.mask, dims: [f.rows, 2] },
    });
    const out = outputs[io.output]!.data as Float32Array;
    return items.map((_, r) => {
      if (f.mask[2 * r] === 0 && f.mask[2 * r + 1] === 0) return undefined;
      const v = out.slice(r * this.dim, (r + 1) * this.dim);
      let n = 0;
      for (const x of v) n += x * x;
      n = Math.sqrt(n) || 1;
      for (let i = 0; i < v.length; i++) v[i]! /= n;
      return v;
    });
  }

  close(): Promise<void> {
    return this.service.close();
  }
}
