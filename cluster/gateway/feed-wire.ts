import type { fypv1 } from "../../protocols/index.ts";

/**
 * A hand-written encoder for the one hot response, `fyp.v1.GetFeedResponse`: sizes first, then one buffer,
 * no intermediate message objects. proto-loader's serializer converts the plain object into protobufjs
 * messages (fromObject) and then encodes them, which was ~6% of a GetFeed's server CPU. Like protobufjs it
 * leaves out proto3 defaults (empty strings, zeros); a test checks the bytes against protobufjs's. Returns null for input it does not
 * handle (a negative or fractional served_at_ms), so the caller falls back to the generic serializer.
 */
export function encodeGetFeedResponse(r: fypv1.GetFeedResponse): Buffer | null {
  const served = r.servedAtMs as unknown;
  if (served !== undefined && served !== null && !(typeof served === "number" && Number.isSafeInteger(served) && served >= 0)) return null;
  const items = r.items ?? [];
  const itemSizes = new Array<number>(items.length);
  let size = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    let s = 0;
    if (it.videoId) s += strSize(it.videoId);
    if (it.score !== undefined && it.score !== null && it.score !== 0) s += 9;
    if (it.reason) s += strSize(it.reason);
    if (it.modelVersion) s += strSize(it.modelVersion);
    if (it.predictions) s += 1 + 1 + predictionsSize(it.predictions);
    itemSizes[i] = s;
    size += 1 + varintSize(s) + s;
  }
  if (r.modelVersion) size += strSize(r.modelVersion);
  if (typeof served === "number" && served !== 0) size += 1 + varintSize(served);
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    buf[o++] = 0x0a;
    o = varint(buf, o, itemSizes[i]!);
    if (it.videoId) o = str(buf, o, 0x0a, it.videoId);
    if (it.score !== undefined && it.score !== null && it.score !== 0) o = dbl(buf, o, 0x11, it.score);
    if (it.reason) o = str(buf, o, 0x1a, it.reason);
    if (it.modelVersion) o = str(buf, o, 0x22, it.modelVersion);
    if (it.predictions) {
      const p = it.predictions;
      buf[o++] = 0x2a;
      o = varint(buf, o, predictionsSize(p));
      if (p.watchRatio !== undefined && p.watchRatio !== null && p.watchRatio !== 0) o = dbl(buf, o, 0x09, p.watchRatio);
      if (p.complete !== undefined && p.complete !== null && p.complete !== 0) o = dbl(buf, o, 0x11, p.complete);
      if (p.rewatch !== undefined && p.rewatch !== null && p.rewatch !== 0) o = dbl(buf, o, 0x19, p.rewatch);
      if (p.continueSession !== undefined && p.continueSession !== null && p.continueSession !== 0) o = dbl(buf, o, 0x21, p.continueSession);
      if (p.skipFast !== undefined && p.skipFast !== null && p.skipFast !== 0) o = dbl(buf, o, 0x29, p.skipFast);
    }
  }
  if (r.modelVersion) o = str(buf, o, 0x12, r.modelVersion);
  if (typeof served === "number" && served !== 0) {
    buf[o++] = 0x18;
    o = varint(buf, o, served);
  }
  return buf;
}

function predictionsSize(p: fypv1.Predictions): number {
  let s = 0;
  if (p.watchRatio !== undefined && p.watchRatio !== null && p.watchRatio !== 0) s += 9;
  if (p.complete !== undefined && p.complete !== null && p.complete !== 0) s += 9;
  if (p.rewatch !== undefined && p.rewatch !== null && p.rewatch !== 0) s += 9;
  if (p.continueSession !== undefined && p.continueSession !== null && p.continueSession !== 0) s += 9;
  if (p.skipFast !== undefined && p.skipFast !== null && p.skipFast !== 0) s += 9;
  return s;
}

function strSize(v: string): number {
  const n = Buffer.byteLength(v, "utf8");
  return 1 + varintSize(n) + n;
}

function str(buf: Buffer, o: number, tag: number, v: string): number {
  buf[o++] = tag;
  const n = Buffer.byteLength(v, "utf8");
  o = varint(buf, o, n);
  return o + buf.write(v, o, "utf8");
}

function dbl(buf: Buffer, o: number, tag: number, v: number): number {
  buf[o++] = tag;
  buf.writeDoubleLE(v, o);
  return o + 8;
}

/** Bytes of `n` as a protobuf varint (non-negative integers up to 2^53). */
export function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

/** Writes `n` as a protobuf varint at `o`; returns the next offset (arithmetic, not bit ops: exact past 2^31). */
export function varint(buf: Buffer, o: number, n: number): number {
  while (n >= 0x80) {
    buf[o++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[o++] = n;
  return o;
}
