/**
 * Short-term interest: an engagement-weighted exponential moving average of the (projected) content
 * vectors a user just watched, s ← s + rate·w·(x − s), in O(d) per event. `w` in [0, 1] is the event's
 * engagement (a fast skip moves the average little, a rewatch fully), so rate·w is the step size.
 */
export function updateShortTerm(state: Float32Array, x: ArrayLike<number>, rate: number, engagement: number): void {
  const step = rate * Math.min(1, Math.max(0, engagement));
  if (step === 0) return;
  for (let i = 0; i < state.length; i++) state[i]! += step * (x[i]! - state[i]!);
}

/**
 * Engagement of one watch in [0, 1]: the watch ratio (capped at 1) with a bonus for completing and for
 * explicit signals, and zero for a fast skip. Used by every interest scale so they agree on what counts.
 */
export function engagementOf(e: { watchRatio: number | null; skipFast: boolean | null; complete?: boolean | null; like?: boolean }): number {
  if (e.skipFast === true) return 0;
  const wr = e.watchRatio === null ? 0.5 : Math.min(1, Math.max(0, e.watchRatio));
  let w = 0.2 + 0.6 * wr;
  if (e.complete === true) w += 0.1;
  if (e.like === true) w += 0.1;
  return Math.min(1, w);
}
