export interface SeenWindowState {
  window: number;
  /** Oldest first. */
  ids: number[];
}

/**
 * The last `window` shown item ids: a ring (Uint32Array) plus an open-addressing multiset over it
 * (linear probing, backward-shift deletion), so `has` and `add` are O(1) and the whole thing is a few
 * typed arrays (~12 bytes per slot). Ids are uint32; string ids go through `hash32` first — a hash
 * collision can only hide an item a little early, never show a repeat.
 */
export class SeenWindow {
  private readonly ring: Uint32Array;
  private head = 0;
  private size = 0;
  private readonly keys: Uint32Array;
  private readonly counts: Uint16Array;
  private readonly mask: number;

  constructor(readonly window: number) {
    if (!(window >= 1 && window <= 1 << 24)) throw new RangeError(`SeenWindow: window ${window} must be in 1..2^24`);
    this.ring = new Uint32Array(window);
    let cap = 16;
    while (cap < window * 2) cap <<= 1;
    this.keys = new Uint32Array(cap);
    this.counts = new Uint16Array(cap);
    this.mask = cap - 1;
  }

  get length(): number {
    return this.size;
  }

  has(id: number): boolean {
    const key = id >>> 0;
    for (let i = slotOf(key) & this.mask; this.counts[i]! > 0; i = (i + 1) & this.mask) if (this.keys[i] === key) return true;
    return false;
  }

  /** Records a shown item; the oldest falls out once the window is full. */
  add(id: number): void {
    const key = id >>> 0;
    if (this.size === this.window) {
      this.remove(this.ring[this.head]!);
    } else {
      this.size++;
    }
    this.ring[this.head] = key;
    this.head = (this.head + 1) % this.window;
    let i = slotOf(key) & this.mask;
    while (this.counts[i]! > 0 && this.keys[i] !== key) i = (i + 1) & this.mask;
    this.keys[i] = key;
    this.counts[i] = Math.min(0xffff, this.counts[i]! + 1);
  }

  private remove(key: number): void {
    let i = slotOf(key) & this.mask;
    while (this.counts[i]! > 0 && this.keys[i] !== key) i = (i + 1) & this.mask;
    if (this.counts[i] === 0) return;
    if (this.counts[i]! > 1) {
      this.counts[i] = this.counts[i]! - 1;
      return;
    }
    // backward-shift deletion: keep every probe chain unbroken without tombstones
    this.counts[i] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      if (this.counts[j] === 0) return;
      const home = slotOf(this.keys[j]!) & this.mask;
      const between = i <= j ? i < home && home <= j : i < home || home <= j;
      if (between) continue;
      this.keys[i] = this.keys[j]!;
      this.counts[i] = this.counts[j]!;
      this.counts[j] = 0;
      i = j;
    }
  }

  toState(): SeenWindowState {
    const ids: number[] = [];
    const start = this.size === this.window ? this.head : 0;
    for (let n = 0; n < this.size; n++) ids.push(this.ring[(start + n) % this.window]!);
    return { window: this.window, ids };
  }

  static fromState(s: SeenWindowState): SeenWindow {
    const w = new SeenWindow(s.window);
    for (const id of s.ids) w.add(id);
    return w;
  }
}

function slotOf(key: number): number {
  // murmur3 finalizer: sequential ids must not cluster in the table
  let h = Math.imul(key ^ (key >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
