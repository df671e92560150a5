/**
 * De-duplication rule: a row whose raw text equals another row of the same user with the same timestamp
 * is an exact duplicate; the first one is kept. Only the rows at each user's latest timestamp are
 * remembered, so memory grows with the number of users, not with the file (the logs are in time order per
 * user; KuaiRand's ~4.7k duplicates sit next to their twin).
 */
export class DuplicateFilter {
  private readonly latest = new Map<number, { timeMs: number; rows: Set<string> }>();

  /** True when this row was already seen; otherwise remembers it. */
  seen(userId: number, timeMs: number, raw: string): boolean {
    const cur = this.latest.get(userId);
    if (cur === undefined || cur.timeMs !== timeMs) {
      this.latest.set(userId, { timeMs, rows: new Set([raw]) });
      return false;
    }
    if (cur.rows.has(raw)) return true;
    cur.rows.add(raw);
    return false;
  }
}
