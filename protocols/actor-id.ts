import { InvalidActorIdError } from "./errors.ts";

/** The actor kinds of DESIGN.md §3. */
export const ActorKind = {
  Session: "session",
  Video: "video",
  Cohort: "cohort",
  Coordinator: "coord",
} as const;
export type ActorKind = (typeof ActorKind)[keyof typeof ActorKind];

/** An actor's identity, `kind/key` (e.g. `session/u123`, `coord/viral`). */
export type ActorId = string;

export function actorId(kind: string, key: string): ActorId {
  return kind + "/" + key;
}

/** Splits `kind/key`; the key may itself contain slashes. */
export function parseActorId(id: string): { kind: string; key: string } {
  const i = id.indexOf("/");
  if (i <= 0 || i === id.length - 1) throw new InvalidActorIdError(id);
  return { kind: id.slice(0, i), key: id.slice(i + 1) };
}

/** FNV-1a 32-bit over the UTF-16 code units: fast, stable across nodes and runs. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `shard = hash(kind/key) mod numShards` (DESIGN.md §4). */
export function shardOf(id: ActorId, numShards: number): number {
  return hash32(id) % numShards;
}
