import { ModelError } from "../../protocols/index.ts";
import type { InferenceSession, SessionFactory, TensorData } from "../inference/inference-session.ts";
import { ModelService, type ModelServiceOptions } from "../inference/model-service.ts";
import type { EncoderSpec } from "./modality.ts";

/**
 * An ONNX encoder named by config: rows in (one tensor, batch first), one vector per row out. Calls go
 * through a ModelService so concurrent extractions share session runs.
 */
export class OnnxEncoder {
  private constructor(readonly spec: EncoderSpec, private readonly service: ModelService) {}

  static async open(spec: EncoderSpec, openSession: SessionFactory, service: Omit<ModelServiceOptions, "onBatch">): Promise<OnnxEncoder> {
    const session = await openSession(spec.model);
    return OnnxEncoder.fromSession(spec, session, service);
  }

  static async fromSession(spec: EncoderSpec, session: InferenceSession, service: Omit<ModelServiceOptions, "onBatch">): Promise<OnnxEncoder> {
    if (!session.inputNames.includes(spec.input)) throw new ModelError(spec.model, "load", `no input "${spec.input}" (has ${session.inputNames.join(", ")})`);
    if (!session.outputNames.includes(spec.output)) throw new ModelError(spec.model, "load", `no output "${spec.output}" (has ${session.outputNames.join(", ")})`);
    const svc = new ModelService(spec.model, service);
    await svc.load("1", session);
    return new OnnxEncoder(spec, svc);
  }

  /** Encodes `rows` rows of `rowDims` each; returns one vector per row. */
  async encode(data: Float32Array | Int32Array, rows: number, rowDims: number[]): Promise<Float32Array[]> {
    if (rows === 0) return [];
    const input: TensorData = { data, dims: [rows, ...rowDims] };
    const { outputs } = await this.service.infer({ [this.spec.input]: input });
    const out = outputs[this.spec.output];
    if (out === undefined || !(out.data instanceof Float32Array)) throw new ModelError(this.spec.model, "run", `output ${this.spec.output} missing or not float32`);
    const width = out.data.length / rows;
    return Array.from({ length: rows }, (_, r) => out.data.slice(r * width, (r + 1) * width) as Float32Array);
  }

  close(): Promise<void> {
    return this.service.close();
  }
}
