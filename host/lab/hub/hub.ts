/**
 * The hub: owns every simulated wire of one lab. It listens on
 * `<labDir>/hub.sock`; simulated serial ports (host/lab/serial/sim-binding.ts)
 * attach to cable endpoints over it, and control connections set faults
 * (control.ts). The socket protocol is described in host/lab/serial/protocol.ts.
 *
 * Hardware, not messaging: bytes are paced at the baud rate (8N1) by one
 * timer per hub that runs only while something is on a line; DTR is carried
 * to the far end's DSR; a port whose connection closes (closed, or its
 * process killed: a power pull) just stops: its DTR drops, the bytes in its
 * transmit buffer are gone, bytes already on the wire still arrive, and the
 * far end is told nothing else.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { noFaults } from '../cable-faults.ts';
import {
  encodeFlagsFrame,
  encodeFrame,
  encodeIdFrame,
  Frame,
  FrameReader,
  formatSimPath,
  LineReader,
  MAX_LINE_BYTES,
  type PortHello,
  SetFlag,
  StatusFlag,
  TX_BUFFER_BYTES,
} from '../serial/protocol.ts';
import type { CableConfig, HubConfig } from './config.ts';
import {
  type CableStatus,
  ControlError,
  type ControlRequest,
  type EndpointInfo,
  type EndpointStatus,
  type FaultChange,
  type FaultRequest,
  hubSocketPath,
  parseControlRequest,
} from './control.ts';
import { Direction } from './line.ts';

/** The pacer's period: bytes a line has carried are handed on this often. */
export const PACER_PERIOD_MS = 1;
/** Longest Unix socket path the kernel takes (Linux 108 with the NUL, macOS 104). */
const MAX_SOCKET_PATH = 103;

export interface HubOptions {
  /** A line per notable event (attach, detach, fault), for the hub's log. */
  readonly log?: (line: string) => void;
}

interface PortConnection {
  readonly socket: Socket;
  readonly pid: number;
  /** Acknowledgements owed: sent once the endpoint's outbound line has settled `mark` bytes. */
  acks: { id: number; mark: number }[];
}

class Endpoint {
  conn: PortConnection | null = null;
  dtr = false;
  brk = false;
  /** Status flags last sent to the attached port; -1 forces the next send. */
  sentStatus = -1;

  constructor(
    readonly name: string,
    readonly cable: Cable,
    readonly side: 'a' | 'b',
  ) {}

  get far(): Endpoint {
    return this.side === 'a' ? this.cable.b : this.cable.a;
  }
  /** The line this end sends into. */
  get outbound(): Direction {
    return this.side === 'a' ? this.cable.aToB : this.cable.bToA;
  }
  /** The line this end receives from. */
  get inbound(): Direction {
    return this.side === 'a' ? this.cable.bToA : this.cable.aToB;
  }
  /** What this end's port reads: DSR is the far end's DTR; a break the far end holds. */
  statusFlags(): number {
    const far = this.far;
    let flags = 0;
    if (far.conn !== null && far.dtr && !this.cable.unplugged) flags |= StatusFlag.dsr;
    if (far.conn !== null && far.brk && !this.inbound.faults.cut) flags |= StatusFlag.brk;
    return flags;
  }
}

class Cable {
  readonly a: Endpoint;
  readonly b: Endpoint;
  readonly aToB: Direction;
  readonly bToA: Direction;

  constructor(
    readonly config: CableConfig,
    random: () => number,
  ) {
    this.a = new Endpoint(config.a, this, 'a');
    this.b = new Endpoint(config.b, this, 'b');
    this.aToB = new Direction(config.baud, random);
    this.bToA = new Direction(config.baud, random);
  }

  /** Cut both ways: the connector is out, DSR too. */
  get unplugged(): boolean {
    return this.aToB.faults.cut && this.bToA.faults.cut;
  }
}

export class Hub {
  readonly socketPath: string;
  readonly pid = process.pid;
  /** Resolves once the hub has closed (shutdown request or `close()`). */
  readonly closed: Promise<void>;
  readonly #cables = new Map<string, Cable>();
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  readonly #log: (line: string) => void;
  #timer: NodeJS.Timeout | null = null;
  #closing = false;
  #resolveClosed: () => void = () => {};

  private constructor(
    readonly config: HubConfig,
    readonly dir: string,
    options: HubOptions,
  ) {
    this.socketPath = hubSocketPath(dir);
    this.#log = options.log ?? (() => {});
    const random = config.seed === undefined ? Math.random : seededRandom(config.seed);
    for (const cableConfig of config.cables) {
      const cable = new Cable(cableConfig, random);
      this.#cables.set(cableConfig.name, cable);
      this.#endpoints.set(cable.a.name, cable.a);
      this.#endpoints.set(cable.b.name, cable.b);
    }
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Starts a hub on `<dir>/hub.sock`; refuses if a live hub already has it. */
  static async start(config: HubConfig, dir: string, options: HubOptions = {}): Promise<Hub> {
    const hub = new Hub(config, dir, options);
    const path = hub.socketPath;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new Error(`lab directory path too long for a Unix socket: ${path}`);
    }
    mkdirSync(dir, { recursive: true });
    if (existsSync(path)) {
      if (await answers(path)) throw new Error(`a hub is already running at ${path}`);
      rmSync(path, { force: true });
    }
    await new Promise<void>((resolve, reject) => {
      hub.#server.once('error', reject);
      hub.#server.listen(path, () => {
        hub.#server.off('error', reject);
        resolve();
      });
    });
    hub.#log(`listening on ${path}: ${config.cables.length} cable(s)`);
    return hub;
  }

  cables(): CableStatus[] {
    return [...this.#cables.values()].map((cable) => this.#cableStatus(cable));
  }

  endpoints(): EndpointInfo[] {
    return [...this.#endpoints.values()].map((e) => ({
      endpoint: e.name,
      cable: e.cable.config.name,
      side: e.side,
      baud: e.cable.config.baud,
      open: e.conn !== null,
      path: formatSimPath(this.socketPath, e.name),
    }));
  }

  /** Sets faults on one or both directions of a cable; only the faults named change. */
  fault(request: FaultRequest): CableStatus;
  fault(cable: string, direction: FaultRequest['direction'], change: FaultChange): CableStatus;
  fault(
    first: FaultRequest | string,
    direction?: FaultRequest['direction'],
    more?: FaultChange,
  ): CableStatus {
    const asked: FaultRequest =
      typeof first === 'string' ? { ...more, cable: first, direction: direction ?? 'both' } : first;
    // The same checks as a control request: a bad rate is refused, not applied.
    const parsed = parseControlRequest({ ...asked, id: 0, op: 'fault' });
    if (parsed.op !== 'fault') throw new ControlError('not a fault request');
    const { id: _id, op: _op, cable: name, direction: which, unplugAfterBytes, ...change } = parsed;
    const cable = this.#cable(name);
    const lines =
      which === 'both' ? [cable.aToB, cable.bToA] : [which === 'a-to-b' ? cable.aToB : cable.bToA];
    for (const line of lines) {
      line.faults = { ...line.faults, ...change };
      if (unplugAfterBytes !== undefined) line.unplugAfterBytes = unplugAfterBytes;
    }
    this.#log(`fault ${name} ${which} ${JSON.stringify(change)}`);
    this.#refreshStatus(cable);
    return this.#cableStatus(cable);
  }

  /**
   * Process `pid` lost its power: its ports stop at once, as line drivers do
   * when their supply goes (DTR drops, what waits to be sent is lost), not
   * once the operating system has torn the process down.
   */
  powerLost(pid: number): void {
    for (const endpoint of this.#endpoints.values()) {
      const conn = endpoint.conn;
      if (conn === null || conn.pid !== pid) continue;
      this.#detach(endpoint, conn);
      conn.socket.destroy();
    }
  }

  /** Clears every fault on a cable, both ways. */
  restore(name: string): CableStatus {
    const cable = this.#cable(name);
    for (const line of [cable.aToB, cable.bToA]) {
      line.faults = noFaults();
      line.unplugAfterBytes = null;
    }
    this.#log(`restore ${name}`);
    this.#refreshStatus(cable);
    return this.#cableStatus(cable);
  }

  /** Closes every connection and the socket (removing its file). */
  async close(): Promise<void> {
    if (this.#closing) return this.closed;
    this.#closing = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await serverClosed;
    rmSync(this.socketPath, { force: true });
    this.#log('closed');
    this.#resolveClosed();
  }

  #cable(name: string): Cable {
    const cable = this.#cables.get(name);
    if (cable === undefined) {
      throw new ControlError(
        `no cable "${name}" on this hub (it has: ${[...this.#cables.keys()].join(', ')})`,
      );
    }
    return cable;
  }

  #cableStatus(cable: Cable): CableStatus {
    const endpoint = (e: Endpoint): EndpointStatus => ({
      endpoint: e.name,
      open: e.conn !== null,
      pid: e.conn?.pid ?? null,
      dtr: e.conn !== null && e.dtr,
      dsr: (e.statusFlags() & StatusFlag.dsr) !== 0,
      brk: e.conn !== null && e.brk,
    });
    return {
      name: cable.config.name,
      baud: cable.config.baud,
      unplugged: cable.unplugged,
      a: endpoint(cable.a),
      b: endpoint(cable.b),
      directions: {
        'a-to-b': { faults: { ...cable.aToB.faults }, ...cable.aToB.counters() },
        'b-to-a': { faults: { ...cable.bToA.faults }, ...cable.bToA.counters() },
      },
    };
  }

  // --- connections -------------------------------------------------------

  #accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {}); // a reset peer is a closed peer: 'close' follows
    let head = Buffer.alloc(0);
    const onHello = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) {
        if (head.length > MAX_LINE_BYTES) socket.destroy();
        return;
      }
      socket.off('data', onHello);
      const rest = head.subarray(newline + 1);
      let hello: Record<string, unknown>;
      try {
        hello = JSON.parse(head.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
      } catch {
        refuse(socket, 'the first line must be a JSON hello');
        return;
      }
      if (hello.hello === 'control') this.#serveControl(socket, rest);
      else if (hello.hello === 'port') this.#servePort(socket, hello, rest);
      else refuse(socket, 'the hello must say "port" or "control"');
    };
    socket.on('data', onHello);
  }

  #serveControl(socket: Socket, rest: Buffer): void {
    const reply = (value: unknown) => socket.write(`${JSON.stringify(value)}\n`);
    reply({ ok: true, pid: this.pid });
    const reader = new LineReader();
    const onData = (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const line of lines) {
        if (line.trim() === '') continue;
        let id: unknown = null;
        try {
          const value = JSON.parse(line) as unknown;
          if (typeof value === 'object' && value !== null) id = (value as { id?: unknown }).id;
          const request = parseControlRequest(value);
          const answer = this.#control(request);
          reply({ id: request.id, ok: true, ...answer });
          if (request.op === 'shutdown') {
            socket.end(() => void this.close());
            return;
          }
        } catch (error) {
          const message =
            error instanceof SyntaxError ? `not JSON: ${error.message}` : (error as Error).message;
          reply({ id: typeof id === 'number' ? id : null, ok: false, error: message });
        }
      }
    };
    socket.on('data', onData);
    if (rest.length > 0) onData(rest);
  }

  #control(request: ControlRequest): Record<string, unknown> {
    switch (request.op) {
      case 'cables':
        return { cables: this.cables() };
      case 'endpoints':
        return { endpoints: this.endpoints() };
      case 'fault': {
        const { id: _id, op: _op, ...fault } = request;
        return { cable: this.fault(fault) };
      }
      case 'restore':
        return { cable: this.restore(request.cable) };
      case 'shutdown':
        this.#log('shutdown requested');
        return {};
    }
  }

  #servePort(socket: Socket, raw: Record<string, unknown>, rest: Buffer): void {
    const hello = raw as Partial<PortHello>;
    const name = String(hello.endpoint);
    const endpoint = this.#endpoints.get(name);
    if (endpoint === undefined) {
      refuse(
        socket,
        `no endpoint "${name}" on this hub (it has: ${[...this.#endpoints.keys()].join(', ')})`,
      );
      return;
    }
    if (endpoint.conn !== null) {
      refuse(socket, `endpoint "${name}" is busy: already open by process ${endpoint.conn.pid}`);
      return;
    }
    const baud = endpoint.cable.config.baud;
    if (hello.baudRate !== baud) {
      refuse(
        socket,
        `endpoint "${name}" is on cable "${endpoint.cable.config.name}" at ${baud} baud, not ${String(hello.baudRate)}`,
      );
      return;
    }
    const conn: PortConnection = {
      socket,
      pid: typeof hello.pid === 'number' ? hello.pid : 0,
      acks: [],
    };
    endpoint.conn = conn;
    endpoint.dtr = true; // opening a tty raises DTR
    endpoint.brk = false;
    // The welcome carries the lines' first state, so the port reads true DSR from the start.
    endpoint.sentStatus = endpoint.statusFlags();
    const welcome = {
      ok: true,
      cable: endpoint.cable.config.name,
      baud,
      status: endpoint.sentStatus,
    };
    socket.write(`${JSON.stringify(welcome)}\n`);
    this.#log(`open ${name} by process ${conn.pid}`);
    this.#refreshStatus(endpoint.cable);

    const reader = new FrameReader();
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of reader.push(chunk))
          this.#portFrame(endpoint, conn, frame.type, frame.payload);
      } catch (error) {
        this.#log(`${name}: ${(error as Error).message}; dropping the connection`);
        socket.destroy();
      }
    };
    const gone = () => this.#detach(endpoint, conn);
    socket.on('data', onData);
    socket.once('end', gone);
    socket.once('close', gone);
    if (rest.length > 0) onData(rest);
  }

  #portFrame(endpoint: Endpoint, conn: PortConnection, type: number, payload: Buffer): void {
    if (endpoint.conn !== conn) return;
    const now = performance.now();
    const line = endpoint.outbound;
    switch (type) {
      case Frame.data: {
        const id = payload.readUInt32BE(0);
        line.write(payload.subarray(4).slice(), now);
        this.#startPacer();
        this.#owe(endpoint, conn, id, line.written - TX_BUFFER_BYTES);
        break;
      }
      case Frame.set: {
        const flags = payload.readUInt8(0);
        endpoint.dtr = (flags & SetFlag.dtr) !== 0;
        endpoint.brk = (flags & SetFlag.brk) !== 0;
        this.#refreshStatus(endpoint.cable);
        break;
      }
      case Frame.drain:
        this.#owe(endpoint, conn, payload.readUInt32BE(0), line.written);
        break;
      case Frame.flush:
        this.#advance(endpoint.cable, now);
        line.discardUnsent(now);
        this.#payAcks(endpoint);
        conn.socket.write(encodeIdFrame(Frame.ack, payload.readUInt32BE(0)));
        break;
      default:
        throw new Error(`unknown frame type ${type}`);
    }
  }

  /** Acknowledges `id` once the endpoint's outbound line has settled `mark` bytes. */
  #owe(endpoint: Endpoint, conn: PortConnection, id: number, mark: number): void {
    if (endpoint.outbound.settled >= mark) conn.socket.write(encodeIdFrame(Frame.ack, id));
    else {
      conn.acks.push({ id, mark });
      this.#startPacer();
    }
  }

  #payAcks(endpoint: Endpoint): void {
    const conn = endpoint.conn;
    if (conn === null || conn.acks.length === 0) return;
    const settled = endpoint.outbound.settled;
    const due = conn.acks.filter((ack) => ack.mark <= settled);
    if (due.length === 0) return;
    conn.acks = conn.acks.filter((ack) => ack.mark > settled);
    for (const ack of due) conn.socket.write(encodeIdFrame(Frame.ack, ack.id));
  }

  /** The port's connection closed: closed, or its process died. The line shows only that. */
  #detach(endpoint: Endpoint, conn: PortConnection): void {
    if (endpoint.conn !== conn) return;
    const now = performance.now();
    this.#advance(endpoint.cable, now);
    endpoint.outbound.discardUnsent(now);
    endpoint.conn = null;
    endpoint.dtr = false;
    endpoint.brk = false;
    this.#log(`closed ${endpoint.name} (process ${conn.pid})`);
    this.#refreshStatus(endpoint.cable);
    if (!endpoint.cable.aToB.idle || !endpoint.cable.bToA.idle) this.#startPacer();
  }

  #refreshStatus(cable: Cable): void {
    for (const endpoint of [cable.a, cable.b]) {
      if (endpoint.conn === null) continue;
      const flags = endpoint.statusFlags();
      if (flags === endpoint.sentStatus) continue;
      endpoint.sentStatus = flags;
      endpoint.conn.socket.write(encodeFlagsFrame(Frame.status, flags));
    }
  }

  // --- the pacer ---------------------------------------------------------

  #startPacer(): void {
    if (this.#timer !== null || this.#closing) return;
    this.#timer = setInterval(() => this.#tick(), PACER_PERIOD_MS);
  }

  #tick(): void {
    const now = performance.now();
    let busy = false;
    for (const cable of this.#cables.values()) {
      this.#advance(cable, now);
      for (const endpoint of [cable.a, cable.b]) {
        this.#payAcks(endpoint);
        if (!endpoint.outbound.idle || (endpoint.conn?.acks.length ?? 0) > 0) busy = true;
      }
    }
    if (!busy && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /** Moves both directions of a cable to `now`, handing arrived bytes to the receiving ports. */
  #advance(cable: Cable, now: number): void {
    for (const receiver of [cable.b, cable.a]) {
      const line = receiver.inbound;
      if (line.idle) continue;
      const parts: Uint8Array[] = [];
      line.advance(now, (bytes) => {
        if (receiver.conn === null) return false;
        parts.push(bytes);
        return true;
      });
      if (parts.length > 0 && receiver.conn !== null) {
        receiver.conn.socket.write(encodeFrame(Frame.received, Buffer.concat(parts)));
      }
      if (line.unplugAfterBytes === 0) this.#unplug(cable);
    }
  }

  /** An armed unplug went off: the other direction and DSR go too. */
  #unplug(cable: Cable): void {
    for (const line of [cable.aToB, cable.bToA]) {
      line.faults = { ...line.faults, cut: true };
      line.unplugAfterBytes = null;
    }
    this.#log(`unplugged ${cable.config.name} after the bytes asked for`);
    this.#refreshStatus(cable);
  }
}

function refuse(socket: Socket, error: string): void {
  socket.end(`${JSON.stringify({ ok: false, error })}\n`);
}

/** Whether something answers on the socket (a live hub) rather than a stale file. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** mulberry32: a small seeded generator for repeatable fault draws. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts a hub in this process (tests; main.ts for the hub process). */
export function startHub(config: HubConfig, dir: string, options?: HubOptions): Promise<Hub> {
  return Hub.start(config, dir, options);
}
