import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { CONTENT_MODEL_IO, type ContentFeatureOptions, type ContentFeatures } from "../embeddings/content-features.ts";
import { createRng } from "../random/rng.ts";
import type { ContentCorpus } from "./content-corpus.ts";
import { l2normalize } from "./content-model.ts";

export interface ContentTrainOptions {
  steps: number;
  /** Pairs per step; the other pairs' positives in the batch are the negatives (in-batch sampled softmax). */
  batchSize: number;
  learningRate: number;
  /** Softmax temperature over cosine similarities. */
  temperature: number;
  /** Subtract log(item frequency) from in-batch logits, so popular items are not over-penalised as negatives. */
  logQ: boolean;
  seed: number;
  /** Held-out pairs scored per group. */
  evalPairs: number;
  /**
   * Subtract each side's batch mean before the L2 normalisation (default true). Without it the cheapest way
   * to lower the initial in-batch loss is to give every video one shared direction (mean pooling over common
   * n-grams such as "the" hands the model that direction), and the vectors collapse within ~20 steps.
   */
  centre?: boolean;
  onProgress?: (p: { step: number; steps: number; loss: number; group: string }) => void;
}

/** Held-out figures of one pair group: positives vs shuffled pairs, and retrieval of the positive among a batch. */
export interface ContentEval {
  pairs: number;
  /** Mean cosine of held-out co-engaged pairs. */
  cosPositive: number;
  /** Mean cosine of the same anchors with another pair's positive (a popularity-matched random item). */
  cosRandom: number;
  /** Share of anchors whose positive ranks in the top 10 of `batch` held-out positives (chance: 10 / batch). */
  recallAt10: number;
  batch: number;
}

export interface ContentTrainReport {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  /** Mean loss of the first and the last 10% of steps, per group. */
  loss: Record<string, { first: number; last: number }>;
  /** Held-out figures of the untrained (initialised) model and of the trained one. */
  before: Record<string, ContentEval>;
  after: Record<string, ContentEval>;
}

type Rows = { rows: ArrayLike<number>; mask?: [number, number] };

function gather(f: ContentFeatures, fo: ContentFeatureOptions, parts: Rows[]): tf.Tensor[] {
  const n = parts.reduce((s, p) => s + p.rows.length, 0);
  const text = new Int32Array(n * fo.textMaxTokens);
  const meta = new Int32Array(n * fo.metaMaxTokens);
  const mask = new Float32Array(n * 2);
  let r = 0;
  for (const p of parts) {
    for (let k = 0; k < p.rows.length; k++, r++) {
      const i = p.rows[k]!;
      if (p.mask === undefined || p.mask[0] === 1) text.set(f.text.subarray(i * fo.textMaxTokens, (i + 1) * fo.textMaxTokens), r * fo.textMaxTokens);
      if (p.mask === undefined || p.mask[1] === 1) meta.set(f.meta.subarray(i * fo.metaMaxTokens, (i + 1) * fo.metaMaxTokens), r * fo.metaMaxTokens);
      mask[2 * r] = p.mask === undefined ? f.mask[2 * i]! : p.mask[0] * f.mask[2 * i]!;
      mask[2 * r + 1] = p.mask === undefined ? f.mask[2 * i + 1]! : p.mask[1] * f.mask[2 * i + 1]!;
    }
  }
  return [tf.tensor2d(text, [n, fo.textMaxTokens], "int32"), tf.tensor2d(meta, [n, fo.metaMaxTokens], "int32"), tf.tensor2d(mask, [n, 2])];
}

/** Unit content vectors of the given rows, [rows * dim]. */
export function embedRows(model: tfl.LayersModel, f: ContentFeatures, fo: ContentFeatureOptions, part: Rows, chunk = 1024): Float32Array[] {
  const out: Float32Array[] = [];
  for (let s = 0; s < part.rows.length; s += chunk) {
    const rows = Array.from({ length: Math.min(chunk, part.rows.length - s) }, (_, k) => part.rows[s + k]!);
    const data = tf.tidy(() => {
      const y = model.predict(gather(f, fo, [{ rows, ...(part.mask === undefined ? {} : { mask: part.mask }) }])) as tf.Tensor2D;
      return l2normalize(y).dataSync() as Float32Array;
    });
    const d = data.length / rows.length;
    for (let k = 0; k < rows.length; k++) out.push(data.slice(k * d, (k + 1) * d));
  }
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Scores held-out pairs: anchors vs their positives, vs shifted positives, and rank among a batch. */
export function evaluatePairs(anchors: Float32Array[], positives: Float32Array[], batch = 256): ContentEval {
  const n = anchors.length;
  let pos = 0;
  let rnd = 0;
  let hits = 0;
  let ranked = 0;
  for (let i = 0; i < n; i++) {
    pos += dot(anchors[i]!, positives[i]!);
    rnd += dot(anchors[i]!, positives[(i + Math.floor(n / 2)) % n]!);
  }
  for (let s = 0; s + batch <= n; s += batch) {
    for (let i = s; i < s + batch; i++) {
      const own = dot(anchors[i]!, positives[i]!);
      let better = 0;
      for (let j = s; j < s + batch; j++) if (j !== i && dot(anchors[i]!, positives[j]!) > own) better++;
      if (better < 10) hits++;
      ranked++;
    }
  }
  return { pairs: n, cosPositive: pos / Math.max(1, n), cosRandom: rnd / Math.max(1, n), recallAt10: ranked > 0 ? hits / ranked : 0, batch };
}

/**
 * Sets the output layer's bias to minus the mean raw output over (a sample of) the catalog's videos, so served
 * vectors are centred as the training loss saw them. Returns the norm of the removed mean.
 */
export function centreContentModel(model: tfl.LayersModel, f: ContentFeatures, fo: ContentFeatureOptions, maxRows = 20_000): number {
  const out = model.getLayer(CONTENT_MODEL_IO.output);
  const [kernel, bias] = out.getWeights();
  if (kernel === undefined || bias === undefined) return 0;
  out.setWeights([kernel, tf.zeros(bias.shape)]);
  const present: number[] = [];
  for (let i = 0; i < f.rows; i++) if (f.mask[2 * i] === 1 || f.mask[2 * i + 1] === 1) present.push(i);
  const step = Math.max(1, present.length / maxRows);
  const rows: number[] = [];
  for (let k = 0; k < present.length; k += step) rows.push(present[Math.floor(k)]!);
  const dim = bias.shape[0]!;
  const mean = new Float32Array(dim);
  for (let s = 0; s < rows.length; s += 1024) {
    const chunk = rows.slice(s, s + 1024);
    const data = tf.tidy(() => tf.sum(model.predict(gather(f, fo, [{ rows: chunk }])) as tf.Tensor2D, 0).dataSync() as Float32Array);
    for (let d = 0; d < dim; d++) mean[d]! += data[d]! / Math.max(1, rows.length);
  }
  out.setWeights([kernel, tf.tensor1d(mean.map((x) => -x))]);
  return Math.hypot(...mean);
}

interface Task {
  name: string;
  /** Flattened [anchor, positive] pairs of item numbers, or single items for text<->metadata alignment. */
  train: Int32Array;
  heldOut: Int32Array;
  align: boolean;
}

function tasksOf(corpus: ContentCorpus): Task[] {
  const tasks: Task[] = corpus.groups.map((g) => ({ name: g.name, train: g.train, heldOut: g.heldOut, align: false }));
  if (corpus.align.train.length > 0) tasks.push({ name: "text-meta", train: corpus.align.train, heldOut: corpus.align.heldOut, align: true });
  return tasks;
}

const TEXT_ONLY: [number, number] = [1, 0];
const META_ONLY: [number, number] = [0, 1];

function evaluate(model: tfl.LayersModel, f: ContentFeatures, fo: ContentFeatureOptions, tasks: Task[], maxPairs: number): Record<string, ContentEval> {
  const out: Record<string, ContentEval> = {};
  for (const t of tasks) {
    let a: number[];
    let p: number[];
    if (t.align) {
      a = Array.from(t.heldOut.subarray(0, maxPairs));
      p = a;
    } else {
      const n = Math.min(maxPairs, t.heldOut.length / 2);
      a = Array.from({ length: n }, (_, i) => t.heldOut[2 * i]!);
      p = Array.from({ length: n }, (_, i) => t.heldOut[2 * i + 1]!);
    }
    if (a.length < 2) continue;
    const av = embedRows(model, f, fo, t.align ? { rows: a, mask: TEXT_ONLY } : { rows: a });
    const pv = embedRows(model, f, fo, t.align ? { rows: p, mask: META_ONLY } : { rows: p });
    out[t.name] = evaluatePairs(av, pv, Math.min(256, a.length));
  }
  return out;
}

/**
 * Trains the content model with an engagement objective: for pairs of videos engaged by the same user close
 * in sequence, the anchor's content vector must pick its positive out of the batch's positives (symmetric
 * in-batch sampled softmax, cosine / temperature). Steps cycle over the datasets' pair groups and, where videos
 * have both, a text<->metadata alignment task (a caption must pick its own video's metadata), which is what
 * teaches the text tower captions that have no interaction sequences (KuaiRec).
 */
export async function trainContentModel(model: tfl.LayersModel, corpus: ContentCorpus, features: ContentFeatures, fo: ContentFeatureOptions, opts: ContentTrainOptions): Promise<ContentTrainReport> {
  const tasks = tasksOf(corpus).filter((t) => t.train.length >= (t.align ? 2 : 4));
  if (opts.centre ?? true) centreContentModel(model, features, fo);
  const before = evaluate(model, features, fo, tasks, opts.evalPairs);
  const rng = createRng(opts.seed);
  const optimizer = tf.train.adam(opts.learningRate);
  // log item frequency in each task's training pairs (for the logQ correction)
  const logq = tasks.map((t) => {
    const counts = new Map<number, number>();
    for (const i of t.train) counts.set(i, (counts.get(i) ?? 0) + 1);
    return { counts, logTotal: Math.log(t.train.length) };
  });
  const losses = tasks.map(() => [] as number[]);
  const t0 = performance.now();
  for (let step = 0; step < opts.steps; step++) {
    const k = step % tasks.length;
    const task = tasks[k]!;
    const pairs = task.align ? task.train.length : task.train.length / 2;
    const b = Math.min(opts.batchSize, pairs);
    const anchors: number[] = [];
    const positives: number[] = [];
    for (let r = 0; r < b; r++) {
      const j = rng.int(pairs);
      anchors.push(task.align ? task.train[j]! : task.train[2 * j]!);
      positives.push(task.align ? task.train[j]! : task.train[2 * j + 1]!);
    }
    // column biases: -log q(item) and -inf for a repeat of an item already in the batch (a false negative)
    const bias = (cols: number[]): Float32Array => {
      const m = new Float32Array(b * b);
      const q = logq[k]!;
      for (let j = 0; j < b; j++) {
        const lq = opts.logQ && !task.align ? Math.log(q.counts.get(cols[j]!) ?? 1) - q.logTotal : 0;
        for (let i = 0; i < b; i++) m[i * b + j] = i !== j && cols[i] === cols[j] ? -1e9 : -lq;
      }
      return m;
    };
    const biasAP = tf.tensor2d(bias(positives), [b, b]);
    const biasPA = tf.tensor2d(bias(anchors), [b, b]);
    const xs = gather(features, fo, task.align ? [{ rows: anchors, mask: TEXT_ONLY }, { rows: positives, mask: META_ONLY }] : [{ rows: anchors }, { rows: positives }]);
    const labels = tf.oneHot(tf.range(0, b, 1, "int32"), b);
    const centre = opts.centre ?? true;
    const side = (y: tf.Tensor2D, from: number): tf.Tensor2D => {
      const x = tf.slice(y, [from, 0], [b, -1]);
      return l2normalize(centre ? tf.sub(x, tf.mean(x, 0, true)) : x);
    };
    const cost = optimizer.minimize(() => {
      const y = model.apply(xs, { training: true }) as tf.Tensor2D;
      const a = side(y, 0);
      const p = side(y, b);
      const sim = tf.div(tf.matMul(a, p, false, true), opts.temperature);
      const l1 = tf.losses.softmaxCrossEntropy(labels, tf.add(sim, biasAP));
      const l2 = tf.losses.softmaxCrossEntropy(labels, tf.add(tf.transpose(sim), biasPA));
      return tf.div(tf.add(l1, l2), 2) as tf.Scalar;
    }, true);
    const loss = (await cost!.data())[0]!;
    tf.dispose([cost!, biasAP, biasPA, labels, ...xs]);
    losses[k]!.push(loss);
    opts.onProgress?.({ step: step + 1, steps: opts.steps, loss, group: task.name });
  }
  const seconds = (performance.now() - t0) / 1000;
  optimizer.dispose();
  const loss: ContentTrainReport["loss"] = {};
  tasks.forEach((t, k) => {
    const l = losses[k]!;
    const tenth = Math.max(1, Math.floor(l.length / 10));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    if (l.length > 0) loss[t.name] = { first: mean(l.slice(0, tenth)), last: mean(l.slice(-tenth)) };
  });
  if (opts.centre ?? true) centreContentModel(model, features, fo);
  const after = evaluate(model, features, fo, tasks, opts.evalPairs);
  return { steps: opts.steps, seconds, stepsPerSecond: opts.steps / Math.max(1e-9, seconds), loss, before, after };
}
