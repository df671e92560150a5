import type * as tfl from "@tensorflow/tfjs-layers";
import { ModelError } from "../../../protocols/index.ts";
import { AttentionPooling, exportAttentionPooling } from "../layers/attention-pooling.ts";
import { EmbeddingBag, exportEmbeddingBag } from "../layers/embedding-bag.ts";
import { builtinExporters } from "./builtin-exporters.ts";
import type { ExportContext, LayerExporter, LayerWeight, SymbolicShape } from "./layer-exporter.ts";
import { DEFAULT_OPSET, OnnxGraph, type OnnxDim } from "./onnx-graph.ts";

const exporters: Record<string, LayerExporter> = {
  ...builtinExporters,
  [EmbeddingBag.className]: exportEmbeddingBag,
  [AttentionPooling.className]: exportAttentionPooling,
};

/** Teaches the exporter a new layer class (by its Keras class name). */
export function registerLayerExporter(className: string, exporter: LayerExporter): void {
  exporters[className] = exporter;
}

export interface ExportOptions {
  /** Graph name (also used in error messages). */
  name?: string;
  opset?: number;
  docString?: string;
}

/**
 * Exports a functional or sequential tfjs LayersModel to ONNX bytes. ONNX inputs are named after the model's
 * input layers and outputs after the layers producing them; the batch dimension is symbolic ("batch").
 */
export function exportLayersModel(model: tfl.LayersModel, opts: ExportOptions = {}): Uint8Array {
  const name = opts.name ?? model.name;
  const g = new OnnxGraph(name);
  const values = new Map<number, string>(); // SymbolicTensor id -> ONNX value name
  const weightCache = new Map<tfl.layers.Layer, LayerWeight[]>();
  const ctx: ExportContext = {
    graph: g,
    weights(layer) {
      let ws = weightCache.get(layer);
      if (ws === undefined) {
        ws = layer.getWeights().map((t) => ({ data: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] }));
        weightCache.set(layer, ws);
      }
      return ws;
    },
  };

  for (const t of model.inputs) {
    values.set(t.id, g.input(t.sourceLayer.name, t.dtype === "int32" ? "int32" : "float32", dims(t.shape)));
  }

  // Calls are emitted once all their inputs exist; repeated passes handle shared layers called at several depths.
  const pending: { layer: tfl.layers.Layer; node: tfl.layers.Layer["inboundNodes"][number] }[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === "InputLayer") continue;
    for (const node of layer.inboundNodes) pending.push({ layer, node });
  }
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const { layer, node } = pending[i]!;
      const ins = node.inputTensors.map((t) => values.get(t.id));
      if (ins.some((v) => v === undefined)) continue;
      const exporter = exporters[layer.getClassName()];
      if (exporter === undefined) throw new ModelError(name, "export", `layer ${layer.name} (${layer.getClassName()}) has no ONNX exporter`);
      const outs = exporter(ctx, layer, ins as string[], node.inputTensors.map((t) => [...t.shape]));
      if (outs.length !== node.outputTensors.length) {
        throw new ModelError(name, "export", `layer ${layer.name} gave ${outs.length} outputs, expected ${node.outputTensors.length}`);
      }
      node.outputTensors.forEach((t, j) => values.set(t.id, outs[j]!));
      pending.splice(i--, 1);
      progress = true;
    }
  }

  model.outputs.forEach((t) => {
    const v = values.get(t.id);
    if (v === undefined) throw new ModelError(name, "export", `output ${t.sourceLayer.name} is not reachable from the inputs`);
    const out = t.sourceLayer.name;
    g.node("Identity", [v], { outputs: [out] });
    g.output(out, t.dtype === "int32" ? "int32" : "float32", dims(t.shape));
  });
  return g.toBytes({ opset: opts.opset ?? DEFAULT_OPSET, ...(opts.docString === undefined ? {} : { docString: opts.docString }) });
}

function dims(shape: SymbolicShape): OnnxDim[] {
  return shape.map((d, i) => (d === null ? (i === 0 ? "batch" : `d${i}`) : d));
}
