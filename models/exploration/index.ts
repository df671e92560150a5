export { LinUcb } from "./linucb.ts";
export type { LinUcbConfig, LinUcbState } from "./linucb.ts";
export { EpsilonGreedy } from "./epsilon-greedy.ts";
export { NoveltyInjector, interleaveFeed } from "./novelty-injector.ts";
export type { Uniform } from "./novelty-injector.ts";
export { TasteDiscovery } from "./taste-discovery.ts";
export type { TasteDiscoveryConfig, TasteDiscoveryState } from "./taste-discovery.ts";
