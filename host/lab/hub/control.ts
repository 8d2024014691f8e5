/**
 * The hub's control API: JSON lines on the hub socket. A control connection
 * says so in its first line, `{"hello":"control"}`, and the hub answers
 * `{"ok":true,"pid":<hub pid>}`. Then each request line gets one answer line
 * with the same id, in order:
 *
 *   {"id":1,"op":"cables"}
 *     -> {"id":1,"ok":true,"cables":[CableStatus, ...]}
 *   {"id":2,"op":"endpoints"}
 *     -> {"id":2,"ok":true,"endpoints":[EndpointInfo, ...]}
 *   {"id":3,"op":"fault","cable":"path0","direction":"a-to-b"|"b-to-a"|"both",
 *    "cut":true,"lossRate":0.1,"corruptRate":0,"duplicateRate":0,"delayMs":5}
 *     -> {"id":3,"ok":true,"cable":CableStatus}
 *     (only the faults named change; a cut both ways unplugs the cable: DSR
 *     goes low at both ends)
 *   {"id":4,"op":"restore","cable":"path0"}
 *     -> {"id":4,"ok":true,"cable":CableStatus}   (no faults either way)
 *   {"id":5,"op":"shutdown"}
 *     -> {"id":5,"ok":true}, then the hub closes every connection and exits
 *
 * Errors are answers, `{"id":3,"ok":false,"error":"no cable \"path9\" ..."}`,
 * and change nothing (`"id":null` when the line was not a request at all).
 */
import { join } from 'node:path';
import {
  CABLE_DIRECTION_CHOICES,
  type CableDirection,
  type CableDirectionChoice,
  FAULT_RATES,
  LINE_DELAY_MS_MAX,
  type LineFaults,
} from '../cable-faults.ts';
import { connectHub, HUB_SOCKET_NAME, LineSocket, ProtocolError } from '../serial/protocol.ts';

export interface EndpointStatus {
  readonly endpoint: string;
  /** A port has it open. */
  readonly open: boolean;
  /** The process that has it open. */
  readonly pid: number | null;
  readonly dtr: boolean;
  /** What this end's port reads as DSR: the far end's DTR, if it is open and the cable plugged. */
  readonly dsr: boolean;
  /** This end holds a break. */
  readonly brk: boolean;
}

export interface DirectionStatus {
  readonly faults: LineFaults;
  readonly bytesWritten: number;
  readonly bytesDelivered: number;
  readonly bytesDropped: number;
  /** Written and not yet sent. */
  readonly backlog: number;
}

export interface CableStatus {
  readonly name: string;
  readonly baud: number;
  /** Cut both ways: no data, no DSR. */
  readonly unplugged: boolean;
  readonly a: EndpointStatus;
  readonly b: EndpointStatus;
  readonly directions: Readonly<Record<CableDirection, DirectionStatus>>;
}

export interface EndpointInfo {
  readonly endpoint: string;
  readonly cable: string;
  readonly side: 'a' | 'b';
  readonly baud: number;
  readonly open: boolean;
  /** The path to open it with, `sim:<socket>#<endpoint>`. */
  readonly path: string;
}

export type FaultChange = Partial<LineFaults> & {
  /**
   * Unplug the cable (both ways, DSR too) once this many more bytes have
   * crossed it in the direction named: a cut at a chosen point of a transfer.
   */
  readonly unplugAfterBytes?: number;
};

export interface FaultRequest extends FaultChange {
  readonly cable: string;
  readonly direction: CableDirectionChoice;
}

export type ControlRequest =
  | { readonly id: number; readonly op: 'cables' }
  | { readonly id: number; readonly op: 'endpoints' }
  | ({ readonly id: number; readonly op: 'fault' } & FaultRequest)
  | { readonly id: number; readonly op: 'restore'; readonly cable: string }
  | { readonly id: number; readonly op: 'shutdown' };

export class ControlError extends Error {
  override name = 'ControlError';
}

/** Checks one request line's JSON; throws ControlError saying what is wrong. */
export function parseControlRequest(value: unknown): ControlRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ControlError('a request is a JSON object');
  }
  const r = value as Record<string, unknown>;
  const id = r.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    throw new ControlError('a request needs an integer "id"');
  }
  switch (r.op) {
    case 'cables':
    case 'endpoints':
    case 'shutdown':
      return { id, op: r.op };
    case 'restore':
      return { id, op: 'restore', cable: cableName(r) };
    case 'fault': {
      const direction = CABLE_DIRECTION_CHOICES.find((choice) => choice === r.direction);
      if (direction === undefined) {
        throw new ControlError('"direction" must be "a-to-b", "b-to-a" or "both"');
      }
      const change: { -readonly [K in keyof FaultChange]: FaultChange[K] } = {};
      if (r.cut !== undefined) {
        if (typeof r.cut !== 'boolean') throw new ControlError('"cut" must be true or false');
        change.cut = r.cut;
      }
      for (const key of FAULT_RATES) {
        const rate = r[key];
        if (rate === undefined) continue;
        if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
          throw new ControlError(`"${key}" must be a number from 0 to 1`);
        }
        change[key] = rate;
      }
      if (r.delayMs !== undefined) {
        const delay = r.delayMs;
        if (typeof delay !== 'number' || !(delay >= 0 && delay <= LINE_DELAY_MS_MAX)) {
          throw new ControlError(`"delayMs" must be a number from 0 to ${LINE_DELAY_MS_MAX}`);
        }
        change.delayMs = delay;
      }
      if (r.unplugAfterBytes !== undefined) {
        const bytes = r.unplugAfterBytes;
        if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1) {
          throw new ControlError('"unplugAfterBytes" must be a whole number of at least 1');
        }
        change.unplugAfterBytes = bytes;
      }
      return { id, op: 'fault', cable: cableName(r), direction, ...change };
    }
    default:
      throw new ControlError(
        `unknown op ${JSON.stringify(r.op)}: expected cables, endpoints, fault, restore or shutdown`,
      );
  }
}

function cableName(r: Record<string, unknown>): string {
  if (typeof r.cable !== 'string' || r.cable === '')
    throw new ControlError('"cable" must name a cable');
  return r.cable;
}

export function hubSocketPath(labDir: string): string {
  return join(labDir, HUB_SOCKET_NAME);
}

/** A connection to a hub's control API, for the lab's CLI commands and tests. */
export class HubClient {
  #nextId = 1;
  #queue = Promise.resolve();

  private constructor(
    readonly socketPath: string,
    readonly hubPid: number,
    readonly timeoutMs: number,
    readonly lines: LineSocket,
  ) {}

  /** Connects to the hub of the lab in `labDir`. */
  static forLab(labDir: string, timeoutMs?: number): Promise<HubClient> {
    return HubClient.connect(hubSocketPath(labDir), timeoutMs);
  }

  static async connect(socketPath: string, timeoutMs = 5000): Promise<HubClient> {
    const lines = new LineSocket(await connectHub(socketPath, timeoutMs));
    try {
      lines.send({ hello: 'control' });
      const welcome = JSON.parse(await lines.next(timeoutMs)) as Record<string, unknown>;
      if (welcome.ok !== true) throw new ControlError(String(welcome.error ?? 'refused'));
      return new HubClient(socketPath, Number(welcome.pid), timeoutMs, lines);
    } catch (error) {
      lines.close();
      throw error;
    }
  }

  cables(): Promise<CableStatus[]> {
    return this.#ask({ op: 'cables' }).then((a) => a.cables as CableStatus[]);
  }

  cable(name: string): Promise<CableStatus> {
    return this.cables().then((all) => {
      const found = all.find((c) => c.name === name);
      if (found === undefined) throw new ControlError(`no cable "${name}" on the hub`);
      return found;
    });
  }

  endpoints(): Promise<EndpointInfo[]> {
    return this.#ask({ op: 'endpoints' }).then((a) => a.endpoints as EndpointInfo[]);
  }

  fault(request: FaultRequest): Promise<CableStatus> {
    return this.#ask({ op: 'fault', ...request }).then((a) => a.cable as CableStatus);
  }

  restore(cable: string): Promise<CableStatus> {
    return this.#ask({ op: 'restore', cable }).then((a) => a.cable as CableStatus);
  }

  /** Asks the hub to close every wire and exit; resolves once it has said yes. */
  async shutdown(): Promise<void> {
    await this.#ask({ op: 'shutdown' });
    this.close();
  }

  close(): void {
    this.lines.close();
  }

  /** One request at a time: answers come in order, so each waits for its own. */
  #ask(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const answer = this.#queue.then(async () => {
      this.lines.send({ id, ...request });
      const reply = JSON.parse(await this.lines.next(this.timeoutMs)) as Record<string, unknown>;
      if (reply.id !== id) throw new ProtocolError(`answer to ${String(reply.id)}, expected ${id}`);
      if (reply.ok !== true) throw new ControlError(String(reply.error ?? 'refused'));
      return reply;
    });
    this.#queue = answer.then(
      () => undefined,
      () => undefined,
    );
    return answer;
  }
}
