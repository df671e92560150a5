import type * as tfl from "@tensorflow/tfjs-layers";
import { ModelError } from "../../../protocols/index.ts";
import { exportActivation, rnnActivation } from "./activations.ts";
import type { LayerExporter } from "./layer-exporter.ts";

type Cfg = Record<string, unknown>;

function cfg(layer: tfl.layers.Layer): Cfg {
  return layer.getConfig() as Cfg;
}

function activationOf(layer: tfl.layers.Layer): string {
  const a = cfg(layer)["activation"];
  return typeof a === "string" ? a : "linear";
}

function one(inputs: string[], layer: tfl.layers.Layer): string {
  if (inputs.length !== 1) throw new ModelError(layer.name, "export", `expected 1 input, got ${inputs.length}`);
  return inputs[0]!;
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

const dense: LayerExporter = (ctx, layer, inputs, shapes) => {
  const g = ctx.graph;
  const x = one(inputs, layer);
  const [kernel, bias] = ctx.weights(layer);
  if (kernel === undefined) throw new ModelError(layer.name, "export", "dense layer has no kernel");
  const w = g.initializer(`${layer.name}/kernel`, kernel.data, kernel.shape);
  const b = bias === undefined ? undefined : g.initializer(`${layer.name}/bias`, bias.data, bias.shape);
  let y: string;
  // Gemm wants 2-D inputs; higher ranks (per-item projections over a set) use broadcasting MatMul
  if ((shapes[0]?.length ?? 2) === 2) y = g.op("Gemm", b === undefined ? [x, w] : [x, w, b], undefined, layer.name);
  else {
    y = g.op("MatMul", [x, w], undefined, layer.name);
    if (b !== undefined) y = g.op("Add", [y, b]);
  }
  return [exportActivation(g, activationOf(layer), y, layer.name)];
};

const activation: LayerExporter = (ctx, layer, inputs) => [exportActivation(ctx.graph, activationOf(layer), one(inputs, layer), layer.name)];

const identity: LayerExporter = (ctx, layer, inputs) => [ctx.graph.op("Identity", [one(inputs, layer)], undefined, layer.name)];

const concatenate: LayerExporter = (ctx, layer, inputs) => {
  const axis = cfg(layer)["axis"];
  return [ctx.graph.op("Concat", inputs, { axis: { i: typeof axis === "number" ? axis : -1 } }, layer.name)];
};

function elementwise(op: "Add" | "Mul"): LayerExporter {
  return (ctx, layer, inputs) => {
    let acc = inputs[0];
    if (acc === undefined) throw new ModelError(layer.name, "export", "no inputs");
    for (const x of inputs.slice(1)) acc = ctx.graph.op(op, [acc, x]);
    return [acc];
  };
}

const reshape: LayerExporter = (ctx, layer, inputs) => {
  const target = cfg(layer)["targetShape"] as number[];
  // 0 copies the (run-time) batch size from the input
  return [ctx.graph.op("Reshape", [one(inputs, layer), ctx.graph.int64([0, ...target])], undefined, layer.name)];
};

const flatten: LayerExporter = (ctx, layer, inputs) => [ctx.graph.op("Flatten", [one(inputs, layer)], { axis: { i: 1 } }, layer.name)];

const layerNorm: LayerExporter = (ctx, layer, inputs, shapes) => {
  const g = ctx.graph;
  const c = cfg(layer);
  const rank = shapes[0]?.length ?? 2;
  const axis = Array.isArray(c["axis"]) ? (c["axis"] as number[]) : [c["axis"] as number];
  if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === rank - 1)) {
    throw new ModelError(layer.name, "export", `layer norm over axis ${JSON.stringify(c["axis"])}: only the last axis is supported`);
  }
  const dim = shapes[0]?.[rank - 1];
  if (typeof dim !== "number") throw new ModelError(layer.name, "export", "layer norm needs a fixed last dimension");
  const ws = ctx.weights(layer);
  let i = 0;
  const gamma = c["scale"] === false ? new Float32Array(dim).fill(1) : ws[i++]!.data;
  const beta = c["center"] === false ? new Float32Array(dim) : ws[i++]!.data;
  const scale = g.initializer(`${layer.name}/gamma`, gamma, [dim]);
  const bias = g.initializer(`${layer.name}/beta`, beta, [dim]);
  return [g.op("LayerNormalization", [one(inputs, layer), scale, bias], { axis: { i: -1 }, epsilon: { f: c["epsilon"] as number } }, layer.name)];
};

/**
 * Keras GRU (tfjs: reset_after=false, gates ordered z, r, h) -> ONNX GRU with linear_before_reset=0, whose
 * W/R gates are also ordered z, r, h; the input bias goes to Wb and Rb is zero. ONNX RNNs are time-major.
 */
const gru: LayerExporter = (ctx, layer, inputs, shapes) => {
  const g = ctx.graph;
  const c = cfg(layer);
  for (const flag of ["goBackwards", "stateful", "returnState", "resetAfter"] as const) {
    if (c[flag] === true) throw new ModelError(layer.name, "export", `GRU with ${flag}=true is not supported`);
  }
  const units = c["units"] as number;
  const features = shapes[0]?.[2];
  if (typeof features !== "number") throw new ModelError(layer.name, "export", "GRU needs a fixed feature dimension");
  const [kernel, recurrent, bias] = ctx.weights(layer);
  if (kernel === undefined || recurrent === undefined) throw new ModelError(layer.name, "export", "GRU weights missing");
  const W = g.initializer(`${layer.name}/W`, transpose(kernel.data, features, 3 * units), [1, 3 * units, features]);
  const R = g.initializer(`${layer.name}/R`, transpose(recurrent.data, units, 3 * units), [1, 3 * units, units]);
  const b = new Float32Array(6 * units);
  if (bias !== undefined) b.set(bias.data, 0);
  const B = g.initializer(`${layer.name}/B`, b, [1, 6 * units]);
  const f = rnnActivation(c["recurrentActivation"] as string, layer.name);
  const h = rnnActivation(c["activation"] as string, layer.name);
  const alpha = [f, h].flatMap((a) => (a.alpha === undefined ? [] : [a.alpha]));
  const beta = [f, h].flatMap((a) => (a.beta === undefined ? [] : [a.beta]));
  const xT = g.op("Transpose", [one(inputs, layer)], { perm: { ints: [1, 0, 2] } });
  const [Y, Yh] = g.node("GRU", [xT, W, R, B], {
    outputs: 2,
    name: layer.name,
    attrs: {
      hidden_size: { i: units },
      linear_before_reset: { i: 0 },
      activations: { strings: [f.name, h.name] },
      ...(alpha.length > 0 ? { activation_alpha: { floats: alpha } } : {}),
      ...(beta.length > 0 ? { activation_beta: { floats: beta } } : {}),
    },
  });
  if (c["returnSequences"] === true) {
    const seq = g.op("Squeeze", [Y!, g.int64([1])]);
    return [g.op("Transpose", [seq], { perm: { ints: [1, 0, 2] } })];
  }
  return [g.op("Squeeze", [Yh!, g.int64([0])])];
};

/** Exporters of the tfjs-layers built-in classes the project uses. */
export const builtinExporters: Record<string, LayerExporter> = {
  Dense: dense,
  Activation: activation,
  Dropout: identity,
  GaussianNoise: identity,
  Concatenate: concatenate,
  Add: elementwise("Add"),
  Multiply: elementwise("Mul"),
  Reshape: reshape,
  Flatten: flatten,
  LayerNormalization: layerNorm,
  GRU: gru,
};
