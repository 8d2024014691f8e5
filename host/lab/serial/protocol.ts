/**
 * The socket protocol between a simulated serial port (the binding, in a board
 * or host process) and the lab's hub, which owns the wires.
 *
 * Transport: one Unix domain socket per lab, `<labDir>/hub.sock`; one
 * connection per open port, plus short-lived control connections.
 *
 * Handshake (text): the client's first message is one JSON line,
 *   {"hello":"port","endpoint":"p1-path0","baudRate":115200,"pid":1234}
 *   {"hello":"control"}
 * and the hub answers one JSON line: {"ok":false,"error":"..."} (then it
 * closes); for a port {"ok":true,"cable":"path0","baud":115200,"status":1}
 * (status: the STATUS flags below, as they are at attach); for control
 * {"ok":true,"pid":<hub pid>}. A control connection stays on JSON lines (see
 * host/lab/hub/control.ts); a port connection switches to binary frames.
 *
 * Frames (binary, both ways): u32 big-endian length of what follows, u8 type,
 * payload. At most MAX_FRAME_BYTES.
 *   client -> hub
 *     0x01 DATA   u32 id, bytes   put bytes into our transmit buffer; ACK id once
 *                                 the buffer has room again (at most TX_BUFFER_BYTES
 *                                 not yet sent): the backpressure of a real UART
 *     0x02 SET    u8 flags        bit 0 DTR, bit 1 break (held while set)
 *     0x03 DRAIN  u32 id          ACK id once every byte written before has left the line
 *     0x04 FLUSH  u32 id          drop our bytes not yet sent; ACK id (the client then
 *                                 drops what it received and has not read)
 *   hub -> client
 *     0x81 DATA   bytes           bytes off the line, in order, in small chunks
 *     0x82 STATUS u8 flags        bit 0 DSR (the far end's DTR), bit 1 break (the far end
 *                                 holds a break); sent on every change after the welcome
 *     0x83 ACK    u32 id
 * There is no goodbye: a port closes by closing its connection, and a board
 * that loses power closes it the same way (the kernel does it).
 */
import { createConnection, type Socket } from 'node:net';

export const HUB_SOCKET_NAME = 'hub.sock';
export const MAX_FRAME_BYTES = 1 << 20;
/** Payload of one DATA frame from a client; bigger writes go as several frames. */
export const MAX_WRITE_CHUNK = 64 * 1024;
/** A UART driver's transmit buffer: a write returns once the rest fits in it. */
export const TX_BUFFER_BYTES = 4096;
/** A handshake or control line longer than this is a protocol error. */
export const MAX_LINE_BYTES = 1 << 20;

export const Frame = {
  data: 0x01,
  set: 0x02,
  drain: 0x03,
  flush: 0x04,
  received: 0x81,
  status: 0x82,
  ack: 0x83,
} as const;

export const SetFlag = { dtr: 1, brk: 2 } as const;
export const StatusFlag = { dsr: 1, brk: 2 } as const;

export interface PortHello {
  readonly hello: 'port';
  readonly endpoint: string;
  readonly baudRate: number;
  readonly pid: number;
}
export interface ControlHello {
  readonly hello: 'control';
}
export type Hello = PortHello | ControlHello;

/** The hub's answer to a port hello. */
export type PortWelcome =
  | {
      readonly ok: true;
      readonly cable: string;
      readonly baud: number;
      /** The STATUS flags at attach; later changes come as STATUS frames. */
      readonly status: number;
    }
  | { readonly ok: false; readonly error: string };

/** `sim:<socket path>#<endpoint>`, e.g. `sim:/tmp/lab/hub.sock#p1-path0`. */
export interface SimPath {
  readonly socketPath: string;
  readonly endpoint: string;
}

export const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function formatSimPath(socketPath: string, endpoint: string): string {
  return `sim:${socketPath}#${endpoint}`;
}

export function parseSimPath(path: string): SimPath {
  const hash = path.lastIndexOf('#');
  if (!path.startsWith('sim:') || hash < 0) {
    throw new TypeError(
      `"${path}" is not a simulated port path: expected sim:<labDir>/${HUB_SOCKET_NAME}#<endpoint>`,
    );
  }
  const socketPath = path.slice(4, hash);
  const endpoint = path.slice(hash + 1);
  if (socketPath === '') throw new TypeError(`"${path}" names no hub socket`);
  if (!ENDPOINT_NAME.test(endpoint)) throw new TypeError(`"${path}" names no valid endpoint`);
  return { socketPath, endpoint };
}

export function encodeFrame(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out.writeUInt32BE(1 + payload.length, 0);
  out.writeUInt8(type, 4);
  out.set(payload, 5);
  return out;
}

export function encodeIdFrame(type: number, id: number, bytes?: Uint8Array): Buffer {
  const extra = bytes?.length ?? 0;
  const out = Buffer.allocUnsafe(9 + extra);
  out.writeUInt32BE(5 + extra, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32BE(id >>> 0, 5);
  if (bytes !== undefined) out.set(bytes, 9);
  return out;
}

export function encodeFlagsFrame(type: number, flags: number): Buffer {
  return encodeFrame(type, Uint8Array.of(flags));
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Splits a byte stream into frames; throws ProtocolError on an oversized frame. */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { type: number; payload: Buffer }[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: { type: number; payload: Buffer }[] = [];
    let at = 0;
    while (this.#buffer.length - at >= 4) {
      const length = this.#buffer.readUInt32BE(at);
      if (length < 1 || length > MAX_FRAME_BYTES) {
        throw new ProtocolError(`bad frame length ${length}`);
      }
      if (this.#buffer.length - at - 4 < length) break;
      const type = this.#buffer.readUInt8(at + 4);
      frames.push({ type, payload: this.#buffer.subarray(at + 5, at + 4 + length) });
      at += 4 + length;
    }
    this.#buffer = this.#buffer.subarray(at);
    return frames;
  }
}

/** Splits a byte stream into lines; after `detach()` hands back the rest unparsed. */
export class LineReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const lines: string[] = [];
    for (;;) {
      const newline = this.#buffer.indexOf(10);
      if (newline < 0) break;
      lines.push(this.#buffer.subarray(0, newline).toString('utf8'));
      this.#buffer = this.#buffer.subarray(newline + 1);
    }
    if (this.#buffer.length > MAX_LINE_BYTES) throw new ProtocolError('line too long');
    return lines;
  }

  /** The bytes after the last complete line (the start of the binary part). */
  rest(): Buffer {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }
}

/**
 * A socket read as JSON lines, for control connections: one listener for the
 * socket's life, lines queue until asked for.
 */
export class LineSocket {
  readonly #reader = new LineReader();
  readonly #lines: string[] = [];
  #waiter: ((line: string | Error) => void) | null = null;
  #ended: Error | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of this.#reader.push(chunk)) this.#offer(line);
      } catch (error) {
        this.#end(error as Error);
        socket.destroy();
      }
    });
    socket.on('error', (error) => this.#end(error));
    socket.on('close', () => this.#end(new ProtocolError('the hub closed the connection')));
  }

  /** Called with each line as it arrives, instead of queueing it. */
  onLine: ((line: string) => void) | null = null;
  /** Called once when the connection ends. */
  onEnd: ((error: Error) => void) | null = null;

  send(value: unknown): void {
    this.socket.write(`${JSON.stringify(value)}\n`);
  }

  /** The next line, or an error if the connection ends or nothing comes within `timeoutMs`. */
  next(timeoutMs: number): Promise<string> {
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#ended !== null) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        reject(new ProtocolError(`no answer from the hub within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = (line) => {
        clearTimeout(timer);
        this.#waiter = null;
        if (line instanceof Error) reject(line);
        else resolve(line);
      };
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #offer(line: string): void {
    if (this.#waiter !== null) this.#waiter(line);
    else if (this.onLine !== null) this.onLine(line);
    else this.#lines.push(line);
  }

  #end(error: Error): void {
    if (this.#ended !== null) return;
    this.#ended = error;
    this.#waiter?.(error);
    this.onEnd?.(error);
  }
}

/** Connects to a hub socket; the error names the socket and says what is wrong. */
export function connectHub(socketPath: string, timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no hub at ${socketPath}: connection timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
          ? 'no hub is listening there (is the lab running?)'
          : error.message;
      reject(new Error(`no hub at ${socketPath}: ${why}`));
    };
    socket.once('error', onError);
  });
}

/**
 * One control exchange on a fresh connection: hello, one request, one answer.
 * For callers that need a single answer (the binding's `list()`); HubClient
 * keeps a connection for many.
 */
export async function controlOnce(
  socketPath: string,
  request: Record<string, unknown>,
  timeoutMs = 5000,
): Promise<Record<string, unknown>> {
  const lines = new LineSocket(await connectHub(socketPath, timeoutMs));
  try {
    lines.send({ hello: 'control' });
    lines.send({ id: 1, ...request });
    const welcome = JSON.parse(await lines.next(timeoutMs)) as Record<string, unknown>;
    if (welcome.ok !== true) throw new Error(String(welcome.error ?? 'refused by the hub'));
    const answer = JSON.parse(await lines.next(timeoutMs)) as Record<string, unknown>;
    if (answer.ok !== true) throw new Error(String(answer.error ?? 'refused by the hub'));
    return answer;
  } finally {
    lines.close();
  }
}
