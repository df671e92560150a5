import { hash32 } from "../../protocols/index.ts";

export interface TextHashingOptions {
  /** Embedding-table rows; ids fall in [1, buckets) because 0 is padding. */
  buckets: number;
  /** Fixed bag length: longer texts are truncated, shorter ones padded with 0. */
  maxTokens: number;
  /** Character n-gram sizes taken inside each latin word (fastText style, with < > boundaries). */
  minN?: number;
  maxN?: number;
}

// Han, kana and Hangul: written without spaces, so characters and character bigrams stand in for words.
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const TOKEN = /#?[\p{L}\p{N}_]+/gu;

/**
 * Hashed sub-word n-grams of a title, caption or hashtag list, as a padded id bag for an embedding bag.
 * Latin words give the word and its character n-grams (so typos and inflections share rows); CJK runs give
 * character unigrams and bigrams; a hashtag also counts as one whole token.
 */
export function hashTextFeatures(text: string, opts: TextHashingOptions): Int32Array {
  const out = new Int32Array(opts.maxTokens);
  let n = 0;
  const push = (feature: string): boolean => {
    if (n >= out.length) return false;
    out[n++] = 1 + (hash32(feature) % (opts.buckets - 1));
    return true;
  };
  for (const m of text.normalize("NFKC").toLowerCase().matchAll(TOKEN)) {
    let token = m[0];
    if (token.startsWith("#")) {
      if (!push(`t:${token}`)) break;
      token = token.slice(1);
    }
    for (const run of splitScripts(token)) {
      if (!(run.cjk ? pushCjk(run.text, push) : pushWord(run.text, push, opts.minN ?? 3, opts.maxN ?? 4))) return out;
    }
  }
  return out;
}

function pushWord(word: string, push: (f: string) => boolean, minN: number, maxN: number): boolean {
  if (!push(`w:${word}`)) return false;
  const chars = [...`<${word}>`];
  for (let size = minN; size <= maxN; size++) {
    for (let i = 0; i + size <= chars.length; i++) {
      if (size === chars.length) continue; // the whole word is already in
      if (!push(`g:${chars.slice(i, i + size).join("")}`)) return false;
    }
  }
  return true;
}

function pushCjk(run: string, push: (f: string) => boolean): boolean {
  const chars = [...run];
  for (let i = 0; i < chars.length; i++) {
    if (!push(`c:${chars[i]}`)) return false;
    if (i + 1 < chars.length && !push(`b:${chars[i]}${chars[i + 1]}`)) return false;
  }
  return true;
}

function splitScripts(token: string): { text: string; cjk: boolean }[] {
  const runs: { text: string; cjk: boolean }[] = [];
  for (const ch of token) {
    const cjk = CJK.test(ch);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.cjk === cjk) last.text += ch;
    else runs.push({ text: ch, cjk });
  }
  return runs;
}
