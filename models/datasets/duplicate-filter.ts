/**
 * De-duplication rule: a row whose raw text equals another row of the same user with the same timestamp
 * is an exact duplicate; the first one is kept. Only the rows at each user's latest timestamp are
 * remembered, so memory grows with the number of users, not with the file (the logs are in time order per
 * user; KuaiRand's ~4.7k duplicates sit next to their twin).
 */
export class DuplicateFilter {
  // Most timestamps hold one row: keep it as a string and make a Set only for the rare second one.
  private readonly latest = new Map<number, { timeMs: number; first: string; more: Set<string> | undefined }>();

  /** True when this row was already seen; otherwise remembers it. */
  seen(userId: number, timeMs: number, raw: string): boolean {
    const cur = this.latest.get(userId);
    if (cur === undefined) {
      this.latest.set(userId, { timeMs, first: raw, more: undefined });
      return false;
    }
    if (cur.timeMs !== timeMs) {
      cur.timeMs = timeMs;
      cur.first = raw;
      cur.more = undefined;
      return false;
    }
    if (cur.first === raw || cur.more?.has(raw)) return true;
    (cur.more ??= new Set()).add(raw);
    return false;
  }
}
