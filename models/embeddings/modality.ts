export const MODALITIES = ["visual", "audio", "text"] as const;
export type Modality = (typeof MODALITIES)[number];

/** Where an ONNX encoder lives and how its graph names its tensors (all from config). */
export interface EncoderSpec {
  /** Path of the .onnx file; empty means "no encoder for this modality". */
  model: string;
  input: string;
  output: string;
}

/** One video's raw content; any part may be missing (no frames decoded, silent, no caption). */
export interface VideoContent {
  /** Per-frame feature vectors (e.g. pixels or a pre-extracted descriptor), all of one length. */
  frames?: Float32Array[];
  /** Per-window audio features (e.g. log-mel frames), all of one length. */
  audio?: Float32Array[];
  /** Title, caption, OCR/ASR text and hashtags. */
  text?: string;
}

/** Turns one modality of a batch of videos into vectors; `undefined` where the modality is missing. */
export interface ModalityExtractor {
  readonly modality: Modality;
  readonly dim: number;
  extract(videos: readonly VideoContent[]): Promise<(Float32Array | undefined)[]>;
}
