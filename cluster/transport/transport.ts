// The Transport seam is a wire contract, so its interface lives in protocols/ (actors/ depends on it);
// this file is the cluster-side name for it, next to its implementations.
export type { Transport, Subscription } from "../../protocols/index.ts";
