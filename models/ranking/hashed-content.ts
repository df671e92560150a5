import { hash32 } from "../../protocols/index.ts";
import { createRng } from "../random/rng.ts";

/** One side-information token of a video (a tag, its author, a title word) and how much it counts. */
export interface ContentToken {
  token: string;
  weight: number;
}

/**
 * Content vectors from side information when no trained encoder is available (KuaiRand has ids and tags,
 * MicroLens titles): each token owns a fixed Gaussian direction (seeded by its hash) and a video is the
 * normalised weighted sum of its tokens' directions, so videos sharing tags/authors/words are close in
 * cosine. Directions are cached per token.
 */
export class HashedContentSpace {
  private readonly cache = new Map<string, Float32Array>();

  constructor(readonly dim: number, private readonly seed = 0) {}

  direction(token: string): Float32Array {
    let v = this.cache.get(token);
    if (v === undefined) {
      const rng = createRng((hash32(token) ^ this.seed) >>> 0);
      const s = 1 / Math.sqrt(this.dim);
      v = Float32Array.from({ length: this.dim }, () => rng.normal() * s);
      this.cache.set(token, v);
    }
    return v;
  }

  vector(tokens: readonly ContentToken[]): Float32Array {
    const out = new Float32Array(this.dim);
    for (const { token, weight } of tokens) {
      const d = this.direction(token);
      for (let i = 0; i < this.dim; i++) out[i]! += weight * d[i]!;
    }
    let n = 0;
    for (const x of out) n += x * x;
    if (n > 0) {
      const s = 1 / Math.sqrt(n);
      for (let i = 0; i < this.dim; i++) out[i]! *= s;
    }
    return out;
  }
}

/** The tokens of a KuaiRand/KuaiRec video: tags (primary first), author, duration bucket and type. */
export function videoTokens(v: { videoId: number; tags: readonly number[]; authorId?: number; durationMs?: number; videoType?: string }): ContentToken[] {
  const t: ContentToken[] = v.tags.map((tag, i) => ({ token: `tag:${tag}`, weight: i === 0 ? 1 : 0.6 }));
  if (v.authorId !== undefined) t.push({ token: `author:${v.authorId}`, weight: 0.7 });
  if (v.durationMs !== undefined) t.push({ token: `dur:${Math.round(Math.log2(1 + v.durationMs / 1000))}`, weight: 0.3 });
  if (v.videoType !== undefined) t.push({ token: `type:${v.videoType}`, weight: 0.2 });
  t.push({ token: `video:${v.videoId}`, weight: 0.25 });
  return t;
}

/** Words and hashtags of a title as tokens (hashtags count more). */
export function titleTokens(title: string): ContentToken[] {
  const out: ContentToken[] = [];
  for (const m of title.normalize("NFKC").toLowerCase().matchAll(/#?[\p{L}\p{N}_]+/gu)) {
    const w = m[0];
    if (w.length < 2) continue;
    out.push(w.startsWith("#") ? { token: `tag:${w.slice(1)}`, weight: 1 } : { token: `w:${w}`, weight: 0.5 });
  }
  return out;
}
