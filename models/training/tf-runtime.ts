import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { registerKernel, UnsortedSegmentSum, util, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { ModelError } from "../../protocols/index.ts";

let ready: Promise<void> | undefined;

/**
 * Initialises the TensorFlow.js wasm backend once per process. The wasm binaries are read from
 * node_modules (no network); the wasm backend is ~5x faster than tfjs' pure-JS CPU backend here.
 */
export function initTf(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
    setWasmPaths(path.join(path.dirname(pkg), "dist") + path.sep);
    registerWasmSegmentSum();
    shimChainedOps();
    const ok = await tf.setBackend("wasm");
    if (!ok) throw new ModelError("tfjs", "init", "the wasm backend failed to initialise");
    await tf.ready();
  })();
  return ready;
}

/**
 * The wasm backend has no UnsortedSegmentSum kernel, which is the gradient of Gather; without it no
 * embedding table could be trained there. This JS kernel fills the gap (dense gradient, summed duplicates).
 */
function registerWasmSegmentSum(): void {
  const kernelFunc = ((args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: BackendWasm; attrs: { numSegments: number } }) => {
    const { inputs, backend, attrs } = args;
    const x = backend.readSync(inputs.x.dataId) as Float32Array;
    const ids = backend.readSync(inputs.segmentIds.dataId) as Int32Array;
    const inner = util.sizeFromShape(inputs.x.shape.slice(inputs.segmentIds.shape.length));
    const outShape = [attrs.numSegments, ...inputs.x.shape.slice(inputs.segmentIds.shape.length)];
    const out = backend.makeOutput(outShape, inputs.x.dtype);
    const vals = backend.typedArrayFromHeap(out) as Float32Array;
    vals.fill(0);
    for (let i = 0; i < ids.length; i++) {
      const seg = ids[i]!;
      if (seg < 0 || seg >= attrs.numSegments) continue;
      const src = i * inner;
      const dst = seg * inner;
      for (let k = 0; k < inner; k++) vals[dst + k]! += x[src + k]!;
    }
    return out;
  }) as unknown as KernelFunc;
  registerKernel({ kernelName: UnsortedSegmentSum, backendName: "wasm", kernelFunc });
}

/**
 * tfjs-core's node bundle registers no chained tensor methods (the full `@tensorflow/tfjs` package does),
 * but tfjs-layers' Orthogonal initializer, the GRU's default recurrent initializer, calls these five.
 */
function shimChainedOps(): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const methods: Record<string, (this: tf.Tensor, ...args: never[]) => tf.Tensor> = {
    flatten() {
      return tf.reshape(this, [this.size]);
    },
    reshape(shape: number[]) {
      return tf.reshape(this, shape);
    },
    transpose(perm?: number[]) {
      return tf.transpose(this, perm);
    },
    sign() {
      return tf.sign(this);
    },
    stridedSlice(begin: number[], end: number[], strides: number[]) {
      return tf.stridedSlice(this, begin, end, strides);
    },
  };
  for (const [name, fn] of Object.entries(methods)) if (typeof proto[name] !== "function") proto[name] = fn;
}
