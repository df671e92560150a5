/** A dense tensor crossing the inference seam: row-major data and its dims (dim 0 is the batch). */
export interface TensorData {
  data: Float32Array | Int32Array | BigInt64Array;
  dims: number[];
}

export type Feeds = Record<string, TensorData>;

/** One loaded model that runs whole batches; implemented over onnxruntime-node and in-process for tests. */
export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Feeds): Promise<Feeds>;
  release(): Promise<void>;
}

export interface SessionOptions {
  /** Threads one session.run may use; one is fastest here because callers already run in parallel. */
  intraOpThreads?: number;
}

/** Opens a model (ONNX bytes or a file path) as a session. */
export type SessionFactory = (model: Uint8Array | string, opts?: SessionOptions) => Promise<InferenceSession>;
