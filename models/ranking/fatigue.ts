/** What fatigue looks at in a session: its depth and the categories just shown. */
export class SessionState {
  depth = 0;
  lastEventMs: number | undefined;
  private readonly recent: (number | undefined)[];
  private head = 0;

  constructor(readonly window = 10) {
    this.recent = new Array(window);
  }

  observe(timeMs: number, category: number | undefined): void {
    this.recent[this.head] = category;
    this.head = (this.head + 1) % this.window;
    this.depth++;
    this.lastEventMs = timeMs;
  }

  /** Share of the last `window` items in `category` (0 for an unknown category). */
  repeatShare(category: number | undefined): number {
    if (category === undefined) return 0;
    let same = 0;
    for (const c of this.recent) if (c === category) same++;
    return same / this.window;
  }

  /** A new session (after a gap): depth and recent categories reset. */
  reset(): void {
    this.depth = 0;
    this.recent.fill(undefined);
  }
}

/**
 * fatigue(u, s) in [0, 1]: half from how deep the session is (saturating, 1 − e^(−depth/30)), half from how
 * much of the recent feed was the candidate's category.
 */
export function fatigueOf(session: SessionState, category: number | undefined): number {
  return 0.5 * (1 - Math.exp(-session.depth / 30)) + 0.5 * session.repeatShare(category);
}
