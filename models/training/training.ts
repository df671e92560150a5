// Everything that needs TensorFlow.js, loaded on demand through `loadTraining()` in models/index.ts because
// importing tfjs costs ~300 ms, which serving and simulation should not pay.
export { tf, tfl } from "./tf.ts";
export { initTf } from "./tf-runtime.ts";
export { EmbeddingBag } from "./layers/embedding-bag.ts";
export type { EmbeddingBagArgs } from "./layers/embedding-bag.ts";
export { AttentionPooling } from "./layers/attention-pooling.ts";
export type { AttentionPoolingArgs } from "./layers/attention-pooling.ts";
export { exportLayersModel, registerLayerExporter } from "./onnx/export-layers-model.ts";
export type { ExportOptions } from "./onnx/export-layers-model.ts";
export type { ExportContext, LayerExporter, LayerWeight, SymbolicShape } from "./onnx/layer-exporter.ts";
export { predictFeeds } from "./predict-feeds.ts";
export { buildFusionModel } from "./fusion-model.ts";
