import { hash32 } from "../../protocols/index.ts";

/** 32-bit finaliser (murmur3 fmix32): spreads FNV's weak low bits so scores of one shard differ per member. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The score of `member` for `shard`: the member with the highest score owns the shard. */
export function rendezvousScore(shard: number, member: string): number {
  return mix(hash32(member) ^ Math.imul(shard + 1, 0x9e3779b1));
}

/**
 * Owner of `shard` among `members` (rendezvous / highest-random-weight hashing). Pure: the same shard and
 * member set give the same owner on every node, whatever order the members come in (ties go to the
 * smaller name, so the outcome never depends on the input order). Removing a member moves only its shards.
 */
export function ownerOf(shard: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const s = rendezvousScore(shard, m);
    if (s > bestScore || (s === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/** Every shard's owner, as a map member -> sorted shards (members without shards map to []). */
export function placeShards(numShards: number, members: readonly string[]): Map<string, number[]> {
  const sorted = [...new Set(members)].sort();
  const out = new Map<string, number[]>(sorted.map((m) => [m, []]));
  if (sorted.length === 0) return out;
  for (let s = 0; s < numShards; s++) out.get(ownerOf(s, sorted)!)!.push(s);
  return out;
}
