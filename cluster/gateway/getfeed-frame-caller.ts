import { connect as netConnect, type Socket } from "node:net";
import type { GetFeedCaller, GetFeedOutcome } from "./getfeed-caller.ts";
import { encodeGetFeedRequest, RECEIVE_WINDOW_BYTES } from "./getfeed-caller.ts";
import { parseTarget } from "./feed-client.ts";
import { HpackDecoder } from "./hpack.ts";
import { GrpcStatus } from "./status-codes.ts";

export interface GetFeedFrameCallerOptions {
  /** `host:port` or `grpc://host:port` (plaintext, HTTP/2 with prior knowledge). */
  target: string;
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** HTTP/2 connections; calls are spread over them in turn (default 1). */
  connections?: number;
}

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const PATH = "/fyp.v1.FeedService/GetFeed";

const enum Frame {
  DATA = 0x0,
  HEADERS = 0x1,
  RST_STREAM = 0x3,
  SETTINGS = 0x4,
  PUSH_PROMISE = 0x5,
  PING = 0x6,
  GOAWAY = 0x7,
  WINDOW_UPDATE = 0x8,
  CONTINUATION = 0x9,
}
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;

/** HTTP/2 RST_STREAM error codes as grpc-js maps them to statuses. */
function rstStatus(code: number): number {
  switch (code) {
    case 0x7: return GrpcStatus.UNAVAILABLE; // REFUSED_STREAM
    case 0x8: return GrpcStatus.CANCELLED; // CANCEL
    case 0xb: return GrpcStatus.RESOURCE_EXHAUSTED; // ENHANCE_YOUR_CALM
    case 0xc: return GrpcStatus.PERMISSION_DENIED; // INADEQUATE_SECURITY
    default: return GrpcStatus.INTERNAL;
  }
}

function frameHeader(length: number, type: number, flags: number, stream: number): Buffer {
  const h = Buffer.allocUnsafe(9);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return h;
}

/** An HPACK string literal, not Huffman-coded. */
function literal(s: string): Buffer {
  const b = Buffer.from(s, "latin1");
  if (b.length >= 127) throw new RangeError("header too long for this encoder");
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/**
 * The request's header block: static-table entries and literals "without indexing" only, so it touches no
 * HPACK table and one encoding serves every call with the same deadline.
 */
function requestBlock(authority: string, grpcTimeout: string, token: string | undefined): Buffer {
  const parts = [
    Buffer.from([0x83]), // :method POST (static 3)
    Buffer.from([0x86]), // :scheme http (static 6)
    Buffer.from([0x04]), literal(PATH), // :path (static name 4)
    Buffer.from([0x01]), literal(authority), // :authority (static name 1)
    Buffer.from([0x0f, 0x10]), literal("application/grpc"), // content-type (static name 31: 15 + 16)
    Buffer.from([0x00]), literal("te"), literal("trailers"),
    Buffer.from([0x00]), literal("grpc-timeout"), literal(grpcTimeout),
  ];
  if (token !== undefined) parts.push(Buffer.from([0x0f, 0x08]), literal(`Bearer ${token}`)); // authorization (static name 23)
  return Buffer.concat(parts);
}

interface Call {
  id: number;
  deadline: number;
  status: number | undefined;
  bytes: number;
  done: boolean;
  resolve(o: GetFeedOutcome): void;
}

/**
 * One HTTP/2 connection spoken frame by frame over a TCP socket: the client half of RFC 9113 that unary gRPC
 * needs (SETTINGS and their ACKs, PING answers, flow control both ways, GOAWAY, RST_STREAM, CONTINUATION) and an
 * HPACK decoder for the answers' headers. Writes of one turn go out as one socket write.
 */
class Connection {
  private readonly socket: Socket;
  private readonly hpack = new HpackDecoder();
  private readonly calls = new Map<number, Call>();
  private nextStream = 1;
  private inbox: Buffer = Buffer.alloc(0);
  private readonly out: Buffer[] = [];
  private flushQueued = false;
  /** Connection-level send window (our requests' DATA). */
  private sendWindow = 65_535;
  private maxStreams = Infinity;
  /** Requests waiting for a stream slot or send window. */
  private readonly waiting: { call: Call; frames: (id: number) => Buffer[]; body: number }[] = [];
  private received = 0;
  private headerBlock: { stream: number; flags: number; parts: Buffer[] } | null = null;
  private goawayLast = -1;
  closed = false;
  readonly ready: Promise<void>;

  constructor(host: string, port: number, onGone: (c: Connection) => void) {
    this.socket = netConnect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("error", reject);
    });
    this.ready.catch(() => undefined);
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(1 << 20, 8);
    const connWindow = Buffer.alloc(4);
    connWindow.writeUInt32BE(RECEIVE_WINDOW_BYTES - 65_535, 0);
    this.write([PREFACE, frameHeader(settings.length, Frame.SETTINGS, 0, 0), settings, frameHeader(4, Frame.WINDOW_UPDATE, 0, 0), connWindow]);
    this.socket.on("data", (d: Buffer) => this.onData(d));
    this.socket.on("error", () => undefined); // close follows
    this.socket.on("close", () => {
      this.fail(GrpcStatus.UNAVAILABLE);
      onGone(this);
    });
  }

  get usable(): boolean {
    return !this.closed && this.goawayLast < 0 && this.nextStream < 0x7fffff00;
  }

  call(call: Call, frames: (id: number) => Buffer[], body: number): void {
    if (this.calls.size >= this.maxStreams || body > this.sendWindow || this.waiting.length > 0) {
      this.waiting.push({ call, frames, body });
      return;
    }
    this.start(call, frames, body);
  }

  /** Ends the connection; calls still on it are answered CANCELLED. */
  close(): void {
    this.fail(GrpcStatus.CANCELLED);
    this.socket.destroy();
  }

  private start(call: Call, frames: (id: number) => Buffer[], body: number): void {
    const id = this.nextStream;
    this.nextStream += 2;
    call.id = id;
    this.calls.set(id, call);
    this.sendWindow -= body;
    this.write(frames(id));
  }

  private startWaiting(): void {
    while (!this.closed && this.waiting.length > 0 && this.calls.size < this.maxStreams && this.waiting[0]!.body <= this.sendWindow) {
      const w = this.waiting.shift()!;
      if (!w.call.done) this.start(w.call, w.frames, w.body);
    }
  }

  private write(frames: Buffer[]): void {
    if (this.closed) return;
    for (const f of frames) this.out.push(f);
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(() => {
        this.flushQueued = false;
        if (this.closed || this.out.length === 0) return;
        this.socket.write(this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out));
        this.out.length = 0;
      });
    }
  }

  private onData(d: Buffer): void {
    let buf = this.inbox.length === 0 ? d : Buffer.concat([this.inbox, d]);
    let at = 0;
    try {
      while (buf.length - at >= 9) {
        const len = buf.readUIntBE(at, 3);
        if (buf.length - at < 9 + len) break;
        const type = buf[at + 3]!;
        const flags = buf[at + 4]!;
        const stream = buf.readUInt32BE(at + 5) & 0x7fffffff;
        this.onFrame(type, flags, stream, buf.subarray(at + 9, at + 9 + len));
        at += 9 + len;
      }
    } catch {
      // a protocol error (e.g. an undecodable header block): the connection cannot be trusted any further
      this.fail(GrpcStatus.INTERNAL);
      this.socket.destroy();
      return;
    }
    buf = buf.subarray(at);
    this.inbox = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private onFrame(type: number, flags: number, stream: number, p: Buffer): void {
    switch (type) {
      case Frame.DATA: {
        const call = this.calls.get(stream);
        const pad = flags & PADDED ? p[0]! + 1 : 0;
        if (call !== undefined) call.bytes += p.length - pad;
        this.received += p.length;
        if (this.received >= RECEIVE_WINDOW_BYTES / 4) {
          const inc = Buffer.allocUnsafe(4);
          inc.writeUInt32BE(this.received, 0);
          this.received = 0;
          this.write([frameHeader(4, Frame.WINDOW_UPDATE, 0, 0), inc]);
        }
        if (flags & END_STREAM) this.end(stream);
        return;
      }
      case Frame.HEADERS: {
        let start = 0;
        let end = p.length;
        if (flags & PADDED) {
          start = 1;
          end -= p[0]!;
        }
        if (flags & PRIORITY) start += 5;
        this.headerBlock = { stream, flags, parts: [p.subarray(start, end)] };
        if (flags & END_HEADERS) this.onHeaderBlock();
        return;
      }
      case Frame.CONTINUATION:
        if (this.headerBlock === null || this.headerBlock.stream !== stream) throw new Error("CONTINUATION out of place");
        this.headerBlock.parts.push(p);
        if (flags & END_HEADERS) this.onHeaderBlock();
        return;
      case Frame.RST_STREAM:
        this.finish(stream, rstStatus(p.readUInt32BE(0)));
        return;
      case Frame.SETTINGS:
        if (flags & ACK) return;
        for (let i = 0; i + 6 <= p.length; i += 6) {
          const id = p.readUInt16BE(i);
          const v = p.readUInt32BE(i + 2);
          if (id === SETTINGS_MAX_CONCURRENT_STREAMS) this.maxStreams = v;
        }
        this.write([frameHeader(0, Frame.SETTINGS, ACK, 0)]);
        this.startWaiting();
        return;
      case Frame.PING:
        if (!(flags & ACK)) this.write([frameHeader(8, Frame.PING, ACK, 0), Buffer.from(p)]);
        return;
      case Frame.GOAWAY: {
        this.goawayLast = p.readUInt32BE(0) & 0x7fffffff;
        for (const id of [...this.calls.keys()]) if (id > this.goawayLast) this.finish(id, GrpcStatus.UNAVAILABLE);
        for (const w of this.waiting.splice(0)) this.settle(w.call, GrpcStatus.UNAVAILABLE);
        return;
      }
      case Frame.WINDOW_UPDATE:
        if (stream === 0) {
          this.sendWindow += p.readUInt32BE(0) & 0x7fffffff;
          this.startWaiting();
        }
        return;
      case Frame.PUSH_PROMISE: // refused by SETTINGS_ENABLE_PUSH = 0
        throw new Error("PUSH_PROMISE with push disabled");
      default:
        return; // PRIORITY and unknown frame types are ignored
    }
  }

  private onHeaderBlock(): void {
    const { stream, flags, parts } = this.headerBlock!;
    this.headerBlock = null;
    const headers = this.hpack.decode(parts.length === 1 ? parts[0]! : Buffer.concat(parts)); // always: it updates the table
    const call = this.calls.get(stream);
    if (call !== undefined) {
      for (const [name, value] of headers) if (name === "grpc-status") call.status = Number(value);
    }
    if (flags & END_STREAM) this.end(stream);
  }

  /** The server ended the stream: its status, or INTERNAL when it sent none (as the lean caller). */
  private end(stream: number): void {
    const call = this.calls.get(stream);
    this.finish(stream, call?.status ?? GrpcStatus.INTERNAL);
  }

  private finish(stream: number, code: number): void {
    const call = this.calls.get(stream);
    if (call === undefined) return;
    this.calls.delete(stream);
    this.settle(call, code);
    this.startWaiting();
  }

  private settle(call: Call, code: number): void {
    if (call.done) return;
    call.done = true;
    call.resolve({ code, bytes: call.bytes });
  }

  /** The connection is gone: every call on it is answered `code`. */
  private fail(code: number): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) this.settle(w.call, code);
    for (const id of [...this.calls.keys()]) this.finish(id, code);
  }

  /** Calls past their deadline are reported DEADLINE_EXCEEDED; their streams are left to the server (see getfeed-caller.ts). */
  sweep(now: number): void {
    for (const c of this.calls.values()) if (now >= c.deadline) this.settle(c, GrpcStatus.DEADLINE_EXCEEDED);
    for (const w of this.waiting) if (now >= w.call.deadline) this.settle(w.call, GrpcStatus.DEADLINE_EXCEEDED);
  }
}

/**
 * A GetFeed load-generator client that speaks HTTP/2 frames over plain TCP sockets itself, as load generators
 * do (h2load, ghz's transport): the request frames are pre-encoded (a fixed HPACK block per deadline and the
 * length-prefixed message), and each answer's header blocks are HPACK-decoded to read its `grpc-status`.
 * node:http2's client cost ~160 us of CPU per call (a Duplex stream object, header objects and events per call):
 * at 4,000 req/s the generator needed ~0.65 of one of the two cores it shared with the server it measured, and
 * its own turns delayed the answers it timed. Same wire requests, same statuses (a test compares both callers).
 */
export function createGetFeedFrameCaller(o: GetFeedFrameCallerOptions): GetFeedCaller {
  const { address, tls } = parseTarget(o.target);
  if (tls) throw new Error("createGetFeedFrameCaller: plaintext targets only");
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  const n = Math.max(1, o.connections ?? 1);
  const blocks = new Map<number, Buffer>();
  let closed = false;
  /** Every connection with a socket, replaced ones included (until their socket closes): swept and closed. */
  const live = new Set<Connection>();
  const open = (): Connection => {
    const c = new Connection(host, port, (gone) => live.delete(gone));
    live.add(c);
    return c;
  };
  // a connection that closed or was told to go away is replaced by the next call that would use it
  const conns: Connection[] = Array.from({ length: n }, open);
  let turn = 0;
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const c of live) c.sweep(now);
  }, 5);
  sweep.unref();

  return {
    getFeed(userId, count, deadlineMs) {
      return new Promise<GetFeedOutcome>((resolve) => {
        if (closed) return resolve({ code: GrpcStatus.CANCELLED, bytes: 0 });
        const timeoutMs = Math.max(1, Math.ceil(deadlineMs));
        let block = blocks.get(timeoutMs);
        if (block === undefined) {
          block = requestBlock(address, `${timeoutMs}m`, o.token);
          blocks.set(timeoutMs, block);
        }
        const message = encodeGetFeedRequest(userId, count);
        const headers = block;
        const call: Call = { id: 0, deadline: performance.now() + deadlineMs, status: undefined, bytes: 0, done: false, resolve };
        const i = turn++ % n;
        if (!conns[i]!.usable) conns[i] = open();
        const c = conns[i]!;
        c.call(call, (id) => [frameHeader(headers.length, Frame.HEADERS, END_HEADERS, id), headers, frameHeader(message.length, Frame.DATA, END_STREAM, id), message], message.length);
      });
    },
    async waitReady(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`GetFeed frame caller: no connection to ${address} within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([Promise.all(conns.map((c) => c.ready)), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      closed = true;
      clearInterval(sweep);
      for (const c of [...live]) c.close();
    },
  };
}
