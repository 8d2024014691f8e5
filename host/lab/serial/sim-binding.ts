/**
 * The simulated lab's serial binding: a `BindingInterface` for
 * `SerialPortStream` (@serialport/stream) whose ports are cable endpoints
 * owned by the lab's hub process (host/lab/hub/). Boards and hosts use the
 * same stream code as on hardware; only the binding differs.
 *
 *   new SerialPortStream({ binding: SimBinding, path: 'sim:/lab/hub.sock#p1-path0', baudRate: 115200 })
 *
 * Path: `sim:<labDir>/hub.sock#<endpoint>`. The cable is 8N1 at its
 * configured baud; opening at another rate, or with other framing, fails.
 * An endpoint is open by one port at a time (a second open fails: busy).
 *
 * Like a tty:
 * - open raises DTR; `set()` sets DTR and break on every call (missing flags
 *   take the stream's defaults: DTR high, no break); RTS is accepted and ignored.
 * - `get()` answers from the last status the hub pushed (no round trip):
 *   `dsr` is the far end's DTR, false when the far end is not open (a dead
 *   board) or the cable is unplugged; `cts` and `dcd` are false. It also has
 *   `brk`: true while the far end holds a break, or if it held one since the
 *   last `get()` (latched, like a UART's break-interrupt bit).
 * - `write()` resolves once the bytes are in the transmit buffer (at most
 *   4 KiB not yet sent), so a writer cannot run ahead of the line; `drain()`
 *   resolves once they have left the line; `flush()` drops both unsent and
 *   unread bytes.
 * - received bytes wait in a receive buffer of RX_BUFFER_BYTES; beyond that
 *   they are lost (an overrun), as on a port nobody reads.
 * - `close()` cancels reads and writes in progress (errors with
 *   `canceled: true`). If the hub goes away, reads and writes fail with a
 *   `disconnected: true` error, which makes the stream close.
 * - `close()` sends no goodbye: the hub only sees the connection end, exactly
 *   as when the process is killed. Bytes still in the transmit buffer are
 *   lost with it (call `drain()` first to keep them); bytes already on the
 *   wire arrive.
 * - `list()` of `SimBinding` shows the endpoints of the lab in the
 *   TANDEM_LAB_DIR environment variable; `createSimBinding(labDir)` lists
 *   another lab's.
 */
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from '@serialport/bindings-interface';
import {
  connectHub,
  controlOnce,
  encodeFlagsFrame,
  encodeIdFrame,
  Frame,
  FrameReader,
  HUB_SOCKET_NAME,
  MAX_LINE_BYTES,
  MAX_WRITE_CHUNK,
  type PortHello,
  type PortWelcome,
  parseSimPath,
  SetFlag,
  StatusFlag,
} from './protocol.ts';

/** Received bytes kept for a reader before new ones are dropped. */
export const RX_BUFFER_BYTES = 1 << 20;
const OPEN_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2000;

/** A read or write stopped by `close()`: the stream expects `canceled`. */
export class CanceledError extends Error {
  readonly canceled = true;
  override name = 'CanceledError';
}

/** The hub connection is gone: the stream closes the port on this. */
export class DisconnectedError extends Error {
  readonly disconnected = true;
  override name = 'DisconnectedError';
}

export interface SimPortStatus extends PortStatus {
  /** The far end holds a break now, or held one since the last `get()`. */
  readonly brk: boolean;
}

interface PendingRead {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly resolve: (value: { buffer: Buffer; bytesRead: number }) => void;
  readonly reject: (error: Error) => void;
}

interface PendingAck {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const DEFAULTS = {
  dataBits: 8,
  lock: true,
  stopBits: 1,
  parity: 'none',
  rtscts: false,
  xon: false,
  xoff: false,
  xany: false,
  hupcl: true,
} as const;

export class SimPortBinding implements BindingPortInterface {
  isOpen = true;
  readonly #socket: Socket;
  readonly #reader = new FrameReader();
  #rx: Buffer[] = [];
  #rxBytes = 0;
  #overrunBytes = 0;
  #reads: PendingRead[] = [];
  readonly #acks = new Map<number, PendingAck>();
  #nextId = 1;
  #status = 0;
  #breakLatched = false;
  #disconnected: DisconnectedError | null = null;

  constructor(
    readonly openOptions: Required<OpenOptions>,
    readonly cable: string,
    status: number,
    socket: Socket,
    rest: Buffer,
  ) {
    this.#socket = socket;
    this.#status = status;
    this.#breakLatched = (status & StatusFlag.brk) !== 0;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => this.#onClose());
    if (rest.length > 0) this.#onData(rest);
    socket.resume(); // paused by the open, so that no frame slipped past
  }

  /** Bytes lost because the receive buffer was full. */
  get overrunBytes(): number {
    return this.#overrunBytes;
  }

  async read(
    buffer: Buffer,
    offset: number,
    length: number,
  ): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    if (!Number.isInteger(offset) || offset < 0) throw new TypeError('"offset" is not an integer');
    if (!Number.isInteger(length) || length < 1) throw new TypeError('"length" must be at least 1');
    if (buffer.length < offset + length) throw new Error('buffer is too small');
    if (!this.isOpen) throw new Error('Port is not open');
    if (this.#rxBytes > 0) return { buffer, bytesRead: this.#take(buffer, offset, length) };
    if (this.#disconnected !== null) throw this.#disconnected;
    return new Promise((resolve, reject) => {
      this.#reads.push({ buffer, offset, length, resolve, reject });
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    this.#usable();
    let last: Promise<void> = Promise.resolve();
    for (let at = 0; at < buffer.length; at += MAX_WRITE_CHUNK) {
      const id = this.#id();
      last = this.#expectAck(id);
      this.#socket.write(encodeIdFrame(Frame.data, id, buffer.subarray(at, at + MAX_WRITE_CHUNK)));
    }
    await last;
  }

  async update(options: UpdateOptions): Promise<void> {
    if (typeof options?.baudRate !== 'number') throw new TypeError('"baudRate" is not a number');
    this.#usable();
    if (options.baudRate !== this.openOptions.baudRate) {
      throw new Error(
        `cable "${this.cable}" runs at ${this.openOptions.baudRate} baud; cannot change to ${options.baudRate}`,
      );
    }
  }

  async set(options: SetOptions): Promise<void> {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('"options" is not an object');
    this.#usable();
    const flags =
      ((options.dtr ?? true) ? SetFlag.dtr : 0) | ((options.brk ?? false) ? SetFlag.brk : 0);
    await new Promise<void>((resolve) =>
      this.#socket.write(encodeFlagsFrame(Frame.set, flags), () => resolve()),
    );
  }

  async get(): Promise<SimPortStatus> {
    this.#usable();
    const brk = (this.#status & StatusFlag.brk) !== 0 || this.#breakLatched;
    this.#breakLatched = false;
    return { cts: false, dsr: (this.#status & StatusFlag.dsr) !== 0, dcd: false, brk };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    this.#usable();
    return { baudRate: this.openOptions.baudRate };
  }

  async flush(): Promise<void> {
    this.#usable();
    const id = this.#id();
    const flushed = this.#expectAck(id, () => {
      // Everything received up to the hub's answer predates the flush.
      this.#rx = [];
      this.#rxBytes = 0;
    });
    this.#socket.write(encodeIdFrame(Frame.flush, id));
    await flushed;
  }

  async drain(): Promise<void> {
    this.#usable();
    const id = this.#id();
    const drained = this.#expectAck(id);
    this.#socket.write(encodeIdFrame(Frame.drain, id));
    await drained;
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.isOpen = false;
    this.#failAll(new CanceledError('port closed'));
    this.#rx = [];
    this.#rxBytes = 0;
    if (this.#socket.destroyed) return;
    // Wait until the hub has seen the end, so that the endpoint is free again
    // (a hub that does not answer gets the connection dropped after a while).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#socket.destroy(), CLOSE_TIMEOUT_MS);
      this.#socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#socket.end();
    });
  }

  /**
   * For in-process tests: drop the hub connection at once with no goodbye,
   * as the kernel does when a board process is killed (a power pull).
   */
  simulatePowerPull(): void {
    this.#socket.destroy();
  }

  #usable(): void {
    if (!this.isOpen) throw new Error('Port is not open');
    if (this.#disconnected !== null) throw this.#disconnected;
  }

  #id(): number {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 0xffff_ffff) + 1;
    return id;
  }

  #expectAck(id: number, onAck?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#acks.set(id, {
        resolve: () => {
          onAck?.();
          resolve();
        },
        reject,
      });
    });
  }

  #onData(chunk: Buffer): void {
    let frames: { type: number; payload: Buffer }[];
    try {
      frames = this.#reader.push(chunk);
    } catch {
      this.#socket.destroy();
      return;
    }
    for (const { type, payload } of frames) {
      switch (type) {
        case Frame.received:
          this.#receive(payload);
          break;
        case Frame.status:
          this.#status = payload.readUInt8(0);
          if ((this.#status & StatusFlag.brk) !== 0) this.#breakLatched = true;
          break;
        case Frame.ack: {
          const id = payload.readUInt32BE(0);
          const ack = this.#acks.get(id);
          this.#acks.delete(id);
          ack?.resolve();
          break;
        }
      }
    }
  }

  #receive(bytes: Buffer): void {
    if (!this.isOpen) return;
    const room = RX_BUFFER_BYTES - this.#rxBytes;
    if (bytes.length > room) {
      this.#overrunBytes += bytes.length - room;
      bytes = bytes.subarray(0, room);
    }
    if (bytes.length === 0) return;
    this.#rx.push(bytes);
    this.#rxBytes += bytes.length;
    while (this.#reads.length > 0 && this.#rxBytes > 0) {
      const read = this.#reads.shift() as PendingRead;
      read.resolve({
        buffer: read.buffer,
        bytesRead: this.#take(read.buffer, read.offset, read.length),
      });
    }
  }

  #take(buffer: Buffer, offset: number, length: number): number {
    let copied = 0;
    while (copied < length && this.#rx.length > 0) {
      const head = this.#rx[0] as Buffer;
      const n = Math.min(head.length, length - copied);
      head.copy(buffer, offset + copied, 0, n);
      copied += n;
      if (n === head.length) this.#rx.shift();
      else this.#rx[0] = head.subarray(n);
    }
    this.#rxBytes -= copied;
    return copied;
  }

  #onClose(): void {
    if (!this.isOpen) return;
    this.#disconnected = new DisconnectedError('the lab hub connection is gone');
    this.#failAll(this.#disconnected);
  }

  #failAll(error: Error): void {
    const reads = this.#reads;
    this.#reads = [];
    for (const read of reads) read.reject(error);
    const acks = [...this.#acks.values()];
    this.#acks.clear();
    for (const ack of acks) ack.reject(error);
  }
}

async function openPort(options: OpenOptions): Promise<SimPortBinding> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('"options" is not an object');
  if (typeof options.path !== 'string') throw new TypeError('"path" is not a valid port');
  const { socketPath, endpoint } = parseSimPath(options.path);
  const baudRate = options.baudRate;
  if (typeof baudRate !== 'number' || !Number.isInteger(baudRate) || baudRate < 1) {
    throw new TypeError('"baudRate" is not a valid baudRate');
  }
  const openOptions = { ...DEFAULTS, ...options } as Required<OpenOptions>;
  if (openOptions.dataBits !== 8 || openOptions.stopBits !== 1 || openOptions.parity !== 'none') {
    throw new Error(`Cannot open ${options.path}: simulated cables are 8N1`);
  }
  let socket: Socket;
  try {
    socket = await connectHub(socketPath, OPEN_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`Cannot open ${options.path}: ${(error as Error).message}`);
  }
  const hello: PortHello = { hello: 'port', endpoint, baudRate, pid: process.pid };
  socket.write(`${JSON.stringify(hello)}\n`);
  const { welcome, rest } = await readWelcome(socket).catch((error: Error) => {
    socket.destroy();
    throw new Error(`Cannot open ${options.path}: ${error.message}`);
  });
  if (!welcome.ok) {
    socket.destroy();
    throw new Error(`Cannot open ${options.path}: ${welcome.error}`);
  }
  return new SimPortBinding(openOptions, welcome.cable, welcome.status, socket, rest);
}

/** The hub's one-line answer to a port hello, and the frames that may follow it in the same read. */
function readWelcome(socket: Socket): Promise<{ welcome: PortWelcome; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const finish = (error: Error | null, value?: { welcome: PortWelcome; rest: Buffer }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error !== null) reject(error);
      else if (value !== undefined) resolve(value);
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) {
        if (head.length > MAX_LINE_BYTES) finish(new Error('the hub sent no answer line'));
        return;
      }
      try {
        const welcome = JSON.parse(head.subarray(0, newline).toString('utf8')) as PortWelcome;
        // Frames after the answer are handed over before any further 'data' event.
        socket.pause();
        finish(null, { welcome, rest: head.subarray(newline + 1) });
      } catch {
        finish(new Error('the hub answered with something that is not JSON'));
      }
    };
    const onClose = () => finish(new Error('the hub closed the connection'));
    const timer = setTimeout(() => finish(new Error('no answer from the hub')), OPEN_TIMEOUT_MS);
    socket.on('data', onData);
    socket.once('close', onClose);
    // A hub taken down while we wait resets the connection: an error of this
    // open, not an unhandled one (it stays attached; the port's own follows).
    socket.on('error', (error) => finish(error));
  });
}

/** A binding whose `list()` shows the endpoints of the hub of the lab in `labDir`. */
export function createSimBinding(labDir?: string): BindingInterface<SimPortBinding> {
  return {
    async list(): Promise<PortInfo[]> {
      const dir = labDir ?? process.env.TANDEM_LAB_DIR;
      if (dir === undefined || dir === '') return [];
      const answer = await controlOnce(join(dir, HUB_SOCKET_NAME), { op: 'endpoints' });
      const endpoints = answer.endpoints as { endpoint: string; cable: string; path: string }[];
      return endpoints.map((e) => ({
        path: e.path,
        manufacturer: 'Tandem simulated lab',
        serialNumber: e.endpoint,
        pnpId: undefined,
        locationId: e.cable,
        productId: undefined,
        vendorId: undefined,
      }));
    },
    open: openPort,
  };
}

/**
 * The binding for `SerialPortStream`. Its `list()` shows the endpoints of the
 * lab named by the TANDEM_LAB_DIR environment variable (none if unset); use
 * `createSimBinding(labDir)` to list another lab's. `open()` takes any
 * `sim:` path.
 */
export const SimBinding: BindingInterface<SimPortBinding> = createSimBinding();
