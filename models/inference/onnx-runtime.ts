import * as ort from "onnxruntime-node";
import { ModelError } from "../../protocols/index.ts";
import type { Feeds, InferenceSession, SessionFactory, SessionOptions, TensorData } from "./inference-session.ts";

/** The only module that imports onnxruntime-node: opens ONNX models as `InferenceSession`s (CPU). */
export const openOnnxSession: SessionFactory = async (model: Uint8Array | string, opts: SessionOptions = {}) => {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  };
  let session: ort.InferenceSession;
  try {
    session = typeof model === "string" ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new ModelError(typeof model === "string" ? model : "<bytes>", "load", e instanceof Error ? e.message : String(e), e);
  }
  return new OrtSession(session);
};

class OrtSession implements InferenceSession {
  constructor(private readonly s: ort.InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.s.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.s.outputNames;
  }

  async run(feeds: Feeds): Promise<Feeds> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(elemType(t), t.data, t.dims);
    const out = await this.s.run(ortFeeds);
    const result: Feeds = {};
    for (const [name, t] of Object.entries(out)) {
      const data = t.data;
      if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof BigInt64Array)) {
        throw new ModelError("onnx", "run", `output ${name} has unsupported type ${t.type}`);
      }
      result[name] = { data, dims: [...t.dims] };
    }
    return result;
  }

  release(): Promise<void> {
    return this.s.release();
  }
}

function elemType(t: TensorData): "float32" | "int32" | "int64" {
  return t.data instanceof Float32Array ? "float32" : t.data instanceof Int32Array ? "int32" : "int64";
}
