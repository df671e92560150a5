// The tfjs namespaces, for code that builds and trains models (bin, tests); only models/training imports tfjs.
export * as tf from "@tensorflow/tfjs-core";
export * as tfl from "@tensorflow/tfjs-layers";
