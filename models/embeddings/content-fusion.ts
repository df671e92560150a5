import { ModelError } from "../../protocols/index.ts";
import type { InferenceSession } from "../inference/inference-session.ts";
import { ModelService, type ModelServiceOptions } from "../inference/model-service.ts";
import { MODALITIES, type Modality } from "./modality.ts";

export type ModalityVectors = Partial<Record<Modality, Float32Array | undefined>>;
export type ModalityDims = Record<Modality, number>;

/**
 * The fusion graph's contract (built by `buildFusionModel` in training): inputs `visual`, `audio`, `text`
 * ([b, dims.*]) and `mask` ([b, 3], 1 = present, in MODALITIES order); output `content` [b, dims.content].
 */
export const FUSION_IO = { mask: "mask", output: "content" } as const;

/** Attention fusion over the modalities a video has; a missing one is zero-filled and masked out. */
export class ContentFusion {
  private constructor(readonly dims: ModalityDims, readonly contentDim: number, private readonly service: ModelService) {}

  static async fromSession(session: InferenceSession, dims: ModalityDims, contentDim: number, service: Omit<ModelServiceOptions, "onBatch">): Promise<ContentFusion> {
    for (const name of [...MODALITIES, FUSION_IO.mask]) {
      if (!session.inputNames.includes(name)) throw new ModelError("fusion", "load", `no input "${name}" (has ${session.inputNames.join(", ")})`);
    }
    if (!session.outputNames.includes(FUSION_IO.output)) throw new ModelError("fusion", "load", `no output "${FUSION_IO.output}"`);
    const svc = new ModelService("fusion", service);
    await svc.load("1", session);
    return new ContentFusion(dims, contentDim, svc);
  }

  async fuse(batch: readonly ModalityVectors[]): Promise<Float32Array[]> {
    const b = batch.length;
    if (b === 0) return [];
    const mask = new Float32Array(b * MODALITIES.length);
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
    MODALITIES.forEach((m, j) => {
      const d = this.dims[m];
      const data = new Float32Array(b * d);
      batch.forEach((v, r) => {
        const x = v[m];
        if (x === undefined) return;
        if (x.length !== d) throw new RangeError(`${m} vector of length ${x.length}, fusion expects ${d}`);
        data.set(x, r * d);
        mask[r * MODALITIES.length + j] = 1;
      });
      feeds[m] = { data, dims: [b, d] };
    });
    feeds[FUSION_IO.mask] = { data: mask, dims: [b, MODALITIES.length] };
    const { outputs } = await this.service.infer(feeds);
    const out = outputs[FUSION_IO.output]!.data as Float32Array;
    return Array.from({ length: b }, (_, r) => out.slice(r * this.contentDim, (r + 1) * this.contentDim));
  }

  close(): Promise<void> {
    return this.service.close();
  }
}
