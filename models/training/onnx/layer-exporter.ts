import type * as tfl from "@tensorflow/tfjs-layers";
import type { OnnxGraph } from "./onnx-graph.ts";

/** A weight read back from a trained layer, row-major. */
export interface LayerWeight {
  data: Float32Array;
  shape: number[];
}

/** What a layer exporter can use: the graph being built and the layer's trained weights. */
export interface ExportContext {
  readonly graph: OnnxGraph;
  weights(layer: tfl.layers.Layer): LayerWeight[];
}

/** Shape of a symbolic input, `null` where the size is known only at run time (the batch). */
export type SymbolicShape = (number | null)[];

/**
 * Translates one call of a layer into ONNX nodes: gets the ONNX value names of the call's inputs and
 * returns the names of its outputs. Registered per Keras class name.
 */
export type LayerExporter = (ctx: ExportContext, layer: tfl.layers.Layer, inputs: string[], inputShapes: SymbolicShape[]) => string[];
