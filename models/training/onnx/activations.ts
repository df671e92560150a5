import { ModelError } from "../../../protocols/index.ts";
import type { OnnxGraph } from "./onnx-graph.ts";

/** Emits a Keras activation by its serialised name; `layer` names the culprit if it is unsupported. */
export function exportActivation(g: OnnxGraph, activation: string, x: string, layer: string): string {
  switch (activation) {
    case "linear":
      return x;
    case "relu":
      return g.op("Relu", [x]);
    case "sigmoid":
      return g.op("Sigmoid", [x]);
    case "tanh":
      return g.op("Tanh", [x]);
    case "softmax":
      // Keras applies softmax over the last axis; opset 13+ Softmax does the same with axis=-1
      return g.op("Softmax", [x], { axis: { i: -1 } });
    case "elu":
      return g.op("Elu", [x], { alpha: { f: 1 } });
    case "softplus":
      return g.op("Softplus", [x]);
    case "hardSigmoid":
      return g.op("HardSigmoid", [x], { alpha: { f: 0.2 }, beta: { f: 0.5 } });
    case "swish":
      return g.op("Mul", [x, g.op("Sigmoid", [x])]);
    default:
      throw new ModelError(layer, "export", `activation ${activation} has no ONNX translation`);
  }
}

/** The ONNX RNN activation name (and alpha/beta) of a Keras activation used inside a GRU. */
export function rnnActivation(activation: string, layer: string): { name: string; alpha?: number; beta?: number } {
  switch (activation) {
    case "sigmoid":
      return { name: "Sigmoid" };
    case "tanh":
      return { name: "Tanh" };
    case "relu":
      return { name: "Relu" };
    // tfjs' GRU default recurrent activation; Keras' hard sigmoid is clip(0.2x + 0.5, 0, 1)
    case "hardSigmoid":
      return { name: "HardSigmoid", alpha: 0.2, beta: 0.5 };
    default:
      throw new ModelError(layer, "export", `recurrent activation ${activation} has no ONNX translation`);
  }
}
