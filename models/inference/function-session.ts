import type { Feeds, InferenceSession } from "./inference-session.ts";

/**
 * An in-process `InferenceSession` over a JS function: the embedded twin of the ONNX session, for models
 * written directly in TypeScript and for tests that need to control when a run finishes.
 */
export function createFunctionSession(spec: {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run: (feeds: Feeds) => Feeds | Promise<Feeds>;
  onRelease?: () => void;
}): InferenceSession {
  let released = false;
  return {
    inputNames: spec.inputNames,
    outputNames: spec.outputNames,
    async run(feeds) {
      return spec.run(feeds);
    },
    async release() {
      if (released) return;
      released = true;
      spec.onRelease?.();
    },
  };
}
