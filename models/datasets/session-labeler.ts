import type { Interaction } from "./schema.ts";

/**
 * Assigns session numbers and the session-continuation label. A user's next interaction more than
 * `gapMs` later (or earlier: out-of-order rows) starts a new session, so `continues` of an interaction is
 * known only when that user's next one arrives: each user's latest interaction is held back until then, or
 * until the end of the stream (where `continues` is false: the log is censored there, documented in
 * docs/data.md). Output is therefore in per-user time order, not in global file order. Interactions with
 * ordinal time (no clock) get `session: null`.
 */
export async function* labelSessions(source: AsyncIterable<Interaction>, gapMs: number): AsyncGenerator<Interaction> {
  const held = new Map<number, Interaction>();
  for await (const it of source) {
    if (it.timeIsOrdinal) {
      it.session = null;
      yield it;
      continue;
    }
    const prev = held.get(it.userId);
    if (prev === undefined) {
      it.session = { session: 0, position: 0, continues: false };
    } else {
      const gap = it.timeMs - prev.timeMs;
      const same = gap >= 0 && gap <= gapMs;
      const p = prev.session!;
      p.continues = same;
      it.session = same
        ? { session: p.session, position: p.position + 1, continues: false }
        : { session: p.session + 1, position: 0, continues: false };
      yield prev;
    }
    held.set(it.userId, it);
  }
  for (const it of held.values()) yield it;
}
