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
// "#tag" and "# tag" (MicroLens titles are machine-translated and keep a space after the hash)
const TOKEN = /(?:#\s?)?[\p{L}\p{N}_]+/gu;

/**
 * Hashed sub-word n-grams of a title, caption or hashtag list, as a padded id bag for an embedding bag.
 * Latin words give the word and its character n-grams (so typos and inflections share rows); CJK runs give
 * character unigrams and bigrams; a hashtag also counts as one whole token. Whole units come first (hashtags,
 * words, CJK characters) and n-grams/bigrams fill what is left of `maxTokens`: one long latin word alone
 * yields ~20 n-grams, so n-grams first would keep only a title's first two or three words and drop its
 * hashtags (the topic) entirely.
 */
export function hashTextFeatures(text: string, opts: TextHashingOptions): Int32Array {
  const out = new Int32Array(opts.maxTokens);
  const whole: string[] = [];
  const parts: string[] = [];
  const minN = opts.minN ?? 3;
  const maxN = opts.maxN ?? 4;
  for (const m of text.normalize("NFKC").toLowerCase().matchAll(TOKEN)) {
    let token = m[0];
    if (token.startsWith("#")) {
      token = token.replace(/^#\s?/, "");
      whole.push(`t:#${token}`);
    }
    for (const run of splitScripts(token)) {
      if (run.cjk) cjkFeatures(run.text, whole, parts);
      else wordFeatures(run.text, whole, parts, minN, maxN);
    }
    if (whole.length >= out.length) break;
  }
  let n = 0;
  for (const list of [whole, parts]) {
    for (const feature of list) {
      if (n >= out.length) return out;
      out[n++] = 1 + (hash32(feature) % (opts.buckets - 1));
    }
  }
  return out;
}

function wordFeatures(word: string, whole: string[], parts: string[], minN: number, maxN: number): void {
  whole.push(`w:${word}`);
  const chars = [...`<${word}>`];
  for (let size = minN; size <= maxN; size++) {
    for (let i = 0; i + size <= chars.length; i++) {
      if (size === chars.length) continue; // the whole word is already in
      parts.push(`g:${chars.slice(i, i + size).join("")}`);
    }
  }
}

function cjkFeatures(run: string, whole: string[], parts: string[]): void {
  const chars = [...run];
  for (let i = 0; i < chars.length; i++) {
    whole.push(`c:${chars[i]}`);
    if (i + 1 < chars.length) parts.push(`b:${chars[i]}${chars[i + 1]}`);
  }
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
