export { createRng, uniformAt } from "./random/rng.ts";
export type { Rng } from "./random/rng.ts";
// training (tfjs, loaded on demand) and ONNX export
export const loadTraining = (): Promise<typeof import("./training/training.ts")> => import("./training/training.ts");
export { OnnxGraph, DEFAULT_OPSET } from "./training/onnx/onnx-graph.ts";
export type { OnnxAttr, OnnxDim, OnnxElemType } from "./training/onnx/onnx-graph.ts";
// inference
export type { TensorData, Feeds, InferenceSession, SessionFactory, SessionOptions } from "./inference/inference-session.ts";
export { openOnnxSession } from "./inference/onnx-runtime.ts";
// embeddings
export { hashTextFeatures } from "./embeddings/text-hashing.ts";
export type { TextHashingOptions } from "./embeddings/text-hashing.ts";
export { ModelService } from "./inference/model-service.ts";
export type { ModelServiceOptions, BatchInfo, InferResult } from "./inference/model-service.ts";
export { createFunctionSession } from "./inference/function-session.ts";
