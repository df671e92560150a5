import * as tfl from "@tensorflow/tfjs-layers";
import { AttentionPooling } from "./layers/attention-pooling.ts";

/**
 * The attention-fusion graph ContentFusion serves: each modality is projected to the content width, the three
 * projections form a set, masked multi-head attention pools it, and a layer norm (named `content`) closes.
 */
export function buildFusionModel(dims: { visual: number; audio: number; text: number; content: number }, heads = 4): tfl.LayersModel {
  const c = dims.content;
  const inputs = (["visual", "audio", "text"] as const).map((m) => tfl.input({ shape: [dims[m]], name: m }));
  const mask = tfl.input({ shape: [3], name: "mask" });
  const projected = inputs.map((x, i) => tfl.layers.dense({ units: c, name: `proj_${["visual", "audio", "text"][i]}` }).apply(x) as tfl.SymbolicTensor);
  const set = tfl.layers.reshape({ targetShape: [3, c] }).apply(tfl.layers.concatenate().apply(projected)) as tfl.SymbolicTensor;
  const keyDim = Math.max(1, Math.floor(c / heads));
  const pooled = new AttentionPooling({ numHeads: heads, keyDim, units: c, name: "fusion_attention" }).apply([set, mask]) as tfl.SymbolicTensor;
  const out = tfl.layers.layerNormalization({ name: "content" }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [...inputs, mask], outputs: out, name: "content_fusion" });
}
