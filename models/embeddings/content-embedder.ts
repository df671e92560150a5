import type { ContentFusion } from "./content-fusion.ts";
import type { Modality, ModalityExtractor, VideoContent } from "./modality.ts";

/**
 * Video -> one content vector: each configured extractor runs on the whole batch, then attention fusion over
 * the modalities present; vectors are L2-normalised for cosine ANN. A video with no usable modality gets
 * `undefined` (it cannot be placed in content space).
 */
export class ContentEmbedder {
  constructor(private readonly extractors: readonly ModalityExtractor[], private readonly fusion: ContentFusion) {}

  async embed(videos: readonly VideoContent[]): Promise<(Float32Array | undefined)[]> {
    const parts = videos.map(() => ({}) as Partial<Record<Modality, Float32Array>>);
    const results = await Promise.all(this.extractors.map((e) => e.extract(videos)));
    this.extractors.forEach((e, k) => results[k]!.forEach((v, i) => v !== undefined && (parts[i]![e.modality] = v)));
    const present = parts.map((p, i) => ({ p, i })).filter(({ p }) => Object.keys(p).length > 0);
    const fused = await this.fusion.fuse(present.map(({ p }) => p));
    const out: (Float32Array | undefined)[] = videos.map(() => undefined);
    present.forEach(({ i }, r) => (out[i] = normalize(fused[r]!)));
    return out;
  }
}

function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}
