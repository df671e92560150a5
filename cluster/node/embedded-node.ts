import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { createCodec } from "../../protocols/index.ts";
import { ActorSystem, MemoryStateStore, type ActorBehavior, type Clock, type NodeServices, type StateStore } from "../../actors/index.ts";
import type { Config } from "../../configs/index.ts";
import { LmdbStateStore } from "../durability/lmdb-state-store.ts";

export interface EmbeddedNodeOptions {
  config: Readonly<Config>;
  clock: Clock;
  log: Logger;
  kinds: ActorBehavior<any, any>[];
  services?: NodeServices;
  /**
   * Where passivated state goes: "config" uses storage.stateStore/storage.dir; "ephemeral" uses a fresh
   * LMDB folder (or memory) removed on close, so a run never sees state from an earlier one.
   */
  storage?: "config" | "ephemeral";
  trace?: (at: number, id: string, msg: { type: string }) => void;
}

/** One process, in-memory transport, local state store: the embedded default (DESIGN.md §4). */
export interface EmbeddedNode {
  readonly system: ActorSystem;
  readonly store: StateStore;
  close(): Promise<void>;
}

export function createEmbeddedNode(o: EmbeddedNodeOptions): EmbeddedNode {
  const cfg = o.config;
  let store: StateStore;
  let cleanup: (() => void) | undefined;
  if (cfg.storage.stateStore === "memory") store = new MemoryStateStore();
  else if (o.storage === "ephemeral") {
    mkdirSync(tmpdir(), { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), "fyp-state-"));
    // A scratch store needs no fsync: it is deleted at close.
    store = new LmdbStateStore(dir, { noSync: true });
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  } else {
    mkdirSync(cfg.storage.dir, { recursive: true });
    store = new LmdbStateStore(join(cfg.storage.dir, "state"));
  }
  const system = new ActorSystem({
    clock: o.clock,
    store,
    codec: createCodec(),
    log: o.log,
    services: o.services,
    ...cfg.actors,
    trace: o.trace,
  });
  for (const k of o.kinds) system.register(k);
  return {
    system,
    store,
    async close() {
      await system.stop();
      await store.close();
      cleanup?.();
    },
  };
}
