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
export { buildRankerNetwork, buildMidEncoderNetwork, fitArrays, predictArrays, saveModelArtifacts, loadModelArtifacts } from "./ranker-network.ts";
export type { FitOptions } from "./ranker-network.ts";
export { buildContentModel, l2normalize } from "./content-model.ts";
export type { ContentModelShape } from "./content-model.ts";
export { trainContentModel, embedRows, evaluatePairs } from "./content-trainer.ts";
export type { ContentTrainOptions, ContentTrainReport, ContentEval } from "./content-trainer.ts";
export { trainContent, checkParity } from "./train-content.ts";
export type { TrainContentSettings, TrainedContentModel, TrainContentProgress } from "./train-content.ts";
export { buildContentCorpus, isEngaged, dayEndMsUtc8 } from "./content-corpus.ts";
export type { ContentCorpus, ContentCorpusOptions, PairGroup } from "./content-corpus.ts";
