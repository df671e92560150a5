export { createRng, uniformAt } from "./random/rng.ts";
export type { Rng } from "./random/rng.ts";
// training (tfjs, loaded on demand) and ONNX export
export const loadTraining = (): Promise<typeof import("./training/training.ts")> => import("./training/training.ts");
export { OnnxGraph, DEFAULT_OPSET } from "./training/onnx/onnx-graph.ts";
export type { OnnxAttr, OnnxDim, OnnxElemType } from "./training/onnx/onnx-graph.ts";
// inference
export type { TensorData, Feeds, InferenceSession, SessionFactory, SessionOptions } from "./inference/inference-session.ts";
export { openOnnxSession } from "./inference/onnx-runtime.ts";
export { ModelService } from "./inference/model-service.ts";
export type { ModelServiceOptions, BatchInfo, InferResult } from "./inference/model-service.ts";
export { createFunctionSession } from "./inference/function-session.ts";
// embeddings
export { hashTextFeatures } from "./embeddings/text-hashing.ts";
export type { TextHashingOptions } from "./embeddings/text-hashing.ts";
export { DATASET_NAMES, isDatasetName } from "./datasets/schema.ts";
export type { DatasetName, Video, User, Interaction, Labels, Signals, SessionInfo } from "./datasets/schema.ts";
export { deriveLabels, UNKNOWN_LABELS } from "./datasets/labels.ts";
export type { LabelRules } from "./datasets/labels.ts";
export { readCsvRecords, splitRecord } from "./datasets/csv-reader.ts";
export type { CsvRecord, CsvReadOptions } from "./datasets/csv-reader.ts";
export { summarizeReport } from "./datasets/load-report.ts";
export type { LoadReport, LoadOptions, LoadProgress, DatasetStream } from "./datasets/load-report.ts";
export { kuairandLog, kuairandVideos, kuairandVideoStats, kuaiUserFeatures } from "./datasets/kuairand.ts";
export { kuairecMatrix, kuairecItemCategories, kuairecCaptions } from "./datasets/kuairec.ts";
export type { VideoPatch } from "./datasets/kuairec.ts";
export { microlensPairsTsv, microlensPairsCsv, microlensTitles } from "./datasets/microlens.ts";
export { labelSessions } from "./datasets/session-labeler.ts";
export { openDataset } from "./datasets/dataset-source.ts";
export type { DatasetSource, DatasetSourceOptions } from "./datasets/dataset-source.ts";
export { MemoryCatalog } from "./datasets/catalog.ts";
export type { Catalog, CatalogCounts } from "./datasets/catalog.ts";
export { importDataset } from "./datasets/import-dataset.ts";
export type { ImportSummary } from "./datasets/import-dataset.ts";
export { computeStats } from "./datasets/dataset-stats.ts";
export type { DatasetStats } from "./datasets/dataset-stats.ts";
export { SyntheticWorld } from "./datasets/synthetic/synthetic-world.ts";
export type { SyntheticUser, SyntheticVideo, SyntheticInteraction } from "./datasets/synthetic/synthetic-world.ts";
export { fitWorldParams } from "./datasets/synthetic/fit-world.ts";
export { loadShippedParams, readWorldParams, writeWorldParams, worldParamsFor, SHIPPED_PARAMS_PATH } from "./datasets/synthetic/world-params.ts";
export type { WorldParams } from "./datasets/synthetic/world-params.ts";
export { checkWorld } from "./datasets/synthetic/world-check.ts";
export type { WorldCheck } from "./datasets/synthetic/world-check.ts";
export { ksDistance, spearman } from "./datasets/synthetic/distributions.ts";
// retrieval
export type { AnnIndex, AnnMetric, Neighbor } from "./retrieval/ann-index.ts";
export { BruteForceIndex } from "./retrieval/brute-force-index.ts";
export { HnswIndex } from "./retrieval/hnsw-index.ts";
export type { HnswParams } from "./retrieval/hnsw-index.ts";
export { SOURCES, REASONS } from "./retrieval/candidate-source.ts";
export type { SourceName, Candidate, CandidateRequest, CandidateSource } from "./retrieval/candidate-source.ts";
export { ContentSource } from "./retrieval/content-source.ts";
export { CoEngagementIndex, CollaborativeSource } from "./retrieval/co-engagement.ts";
export type { CoEngagementOptions } from "./retrieval/co-engagement.ts";
export { TrendingCounter, TrendingSource } from "./retrieval/trending.ts";
export { ExposurePool, ColdStartSource } from "./retrieval/exposure-pool.ts";
export { ExplorationSource } from "./retrieval/exploration-source.ts";
export type { CategoryCatalog } from "./retrieval/exploration-source.ts";
export { mergeCandidates, CandidateGenerator } from "./retrieval/merge-candidates.ts";
export type { SourceQuotas } from "./retrieval/merge-candidates.ts";
export { MODALITIES } from "./embeddings/modality.ts";
export type { Modality, EncoderSpec, VideoContent, ModalityExtractor } from "./embeddings/modality.ts";
export { OnnxEncoder } from "./embeddings/onnx-encoder.ts";
export { poolFrames } from "./embeddings/temporal-pooling.ts";
export type { TemporalPooling } from "./embeddings/temporal-pooling.ts";
export { SequenceExtractor, TextExtractor } from "./embeddings/extractors.ts";
export { ContentFusion, FUSION_IO } from "./embeddings/content-fusion.ts";
export type { ModalityVectors, ModalityDims } from "./embeddings/content-fusion.ts";
export { ContentEmbedder } from "./embeddings/content-embedder.ts";
// exploration
export { LinUcb, EpsilonGreedy, NoveltyInjector, interleaveFeed, TasteDiscovery } from "./exploration/index.ts";
export type { LinUcbConfig, LinUcbState, Uniform, TasteDiscoveryConfig, TasteDiscoveryState } from "./exploration/index.ts";
// feed pipeline (DESIGN.md §5)
export { SyntheticFeedCatalog, unit, dot } from "./feed/feed-catalog.ts";
export type { FeedCatalog, FeedVideo } from "./feed/feed-catalog.ts";
export { newSessionModel, applyWatch, markServed, engagementWeight, longTermDistribution } from "./feed/session-model.ts";
export type { SessionModel, SessionModelParams } from "./feed/session-model.ts";
export { PriorRanker, seedScore, rankRows } from "./feed/ranker.ts";
export type { Ranker, RankRow, RankContext, RankingWeights, ObjectivePredictions } from "./feed/ranker.ts";
export { FeedPipeline } from "./feed/feed-pipeline.ts";
export type { FeedPipelineDeps, ScoredCandidate, ServedItem, Selector, Bandit } from "./feed/feed-pipeline.ts";
// policy and integrity
export { SeenWindow, FeedPolicy, cosine, SessionSignals, detectBotSession, detectFarms, detectLoop } from "./policy/index.ts";
export type { SeenWindowState, PolicyConfig, PolicyItem, PolicyContext, BotDetectorConfig, BotSignal, BotVerdict, SessionSignalsState, FarmDetectorConfig, FarmGroup, EngagementEvent, LoopDetectorConfig, LoopVerdict } from "./policy/index.ts";
// feed metrics, cold start and the homogenization stabilizer
export { gini, catalogCoverage, categoryEntropy, intraListDiversity, jensenShannon, filterBubbleIndex, coldStartScore, viralDecision, HomogenizationStabilizer } from "./metrics/index.ts";
export type { StagePerformance, ViralLadder, ColdStartConfig, ViralDecision, StabilizerConfig, StabilizerSettings, StabilizerState, HomogenizationMetrics } from "./metrics/index.ts";
export { policySelector } from "./feed/policy-selector.ts";
export { LinUcbBandit } from "./feed/linucb-bandit.ts";
// content model (trained by `fyp train content`), vectors and the catalog index
export { contentFeatures, sliceFeatures, metaTokens, videoText, durationBucket, TOWERS, CONTENT_MODEL_IO } from "./embeddings/content-features.ts";
export type { ContentFeatureOptions, ContentFeatures, ContentItem } from "./embeddings/content-features.ts";
export { ContentModelEncoder } from "./embeddings/content-model-encoder.ts";
export { writeContentModel, latestContentModel, readContentModel } from "./embeddings/content-model-store.ts";
export type { ContentModelCard } from "./embeddings/content-model-store.ts";
export { MemoryVectorStore } from "./embeddings/vector-store.ts";
export type { VectorStore } from "./embeddings/vector-store.ts";
export { embedCatalog, buildIndexFromVectors } from "./embeddings/embed-catalog.ts";
export type { EmbedProgress, EmbedSummary } from "./embeddings/embed-catalog.ts";
