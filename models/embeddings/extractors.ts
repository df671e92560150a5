import { hashTextFeatures, type TextHashingOptions } from "./text-hashing.ts";
import type { Modality, ModalityExtractor, VideoContent } from "./modality.ts";
import type { OnnxEncoder } from "./onnx-encoder.ts";
import { poolFrames, type TemporalPooling } from "./temporal-pooling.ts";

/**
 * Visual or audio: every frame (window) of every video in the batch goes through the encoder in one call,
 * then each video's frame vectors are pooled over time.
 */
export class SequenceExtractor implements ModalityExtractor {
  constructor(readonly modality: Exclude<Modality, "text">, readonly dim: number, private readonly encoder: OnnxEncoder, private readonly pooling: TemporalPooling) {}

  async extract(videos: readonly VideoContent[]): Promise<(Float32Array | undefined)[]> {
    const seqs = videos.map((v) => (this.modality === "visual" ? v.frames : v.audio) ?? []);
    const width = seqs.find((s) => s.length > 0)?.[0]?.length;
    if (width === undefined) return videos.map(() => undefined);
    const total = seqs.reduce((s, q) => s + q.length, 0);
    const data = new Float32Array(total * width);
    let off = 0;
    for (const s of seqs) for (const f of s) {
      if (f.length !== width) throw new RangeError(`${this.modality} frame of length ${f.length}, expected ${width}`);
      data.set(f, off);
      off += width;
    }
    const vecs = await this.encoder.encode(data, total, [width]);
    let at = 0;
    return seqs.map((s) => {
      if (s.length === 0) return undefined;
      const pooled = poolFrames(vecs.slice(at, at + s.length), this.pooling);
      at += s.length;
      return pooled;
    });
  }
}

/** Text: hashed sub-word n-grams (config: buckets, bag length) into an encoder that takes the id bag. */
export class TextExtractor implements ModalityExtractor {
  readonly modality = "text" as const;
  constructor(readonly dim: number, private readonly encoder: OnnxEncoder, private readonly hashing: TextHashingOptions) {}

  async extract(videos: readonly VideoContent[]): Promise<(Float32Array | undefined)[]> {
    const present = videos.map((v, i) => ({ i, text: v.text?.trim() ?? "" })).filter((x) => x.text.length > 0);
    const out: (Float32Array | undefined)[] = videos.map(() => undefined);
    if (present.length === 0) return out;
    const L = this.hashing.maxTokens;
    const ids = new Int32Array(present.length * L);
    present.forEach((p, r) => ids.set(hashTextFeatures(p.text, this.hashing), r * L));
    const vecs = await this.encoder.encode(ids, present.length, [L]);
    present.forEach((p, r) => (out[p.i] = vecs[r]));
    return out;
  }
}
