/**
 * The management protocol on a board's host port: CBOR messages in frames.
 * The host asks, the board answers with the same id. Unknown or malformed
 * requests get an error answer and change nothing.
 */
import type { PairStatus } from '../firmware/pair-main.ts';

export type ManagementRequest =
  | { readonly id: number; readonly op: 'status' }
  | { readonly id: number; readonly op: 'flash-begin'; readonly bytes: number }
  | {
      readonly id: number;
      readonly op: 'flash-data';
      readonly offset: number;
      readonly data: Uint8Array;
    }
  | { readonly id: number; readonly op: 'flash-end' }
  | { readonly id: number; readonly op: 'switch' }
  /** The pair's journal after entry `since` of power-on `powerOn` (see boards/journal.ts). */
  | {
      readonly id: number;
      readonly op: 'journal';
      readonly powerOn: number;
      readonly since: number;
    }
  | { readonly id: number; readonly op: 'state' };

export type ManagementReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string; readonly message: string };

/** Image bytes in one flash-data message: fits a frame with room for the envelope. */
export const FLASH_CHUNK_BYTES = 3072;

export function parseManagementRequest(value: unknown): ManagementRequest {
  if (typeof value !== 'object' || value === null) throw new TypeError('request is not a map');
  const r = value as Record<string, unknown>;
  const id = r.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id))
    throw new TypeError('request id missing');
  switch (r.op) {
    case 'status':
    case 'flash-end':
    case 'switch':
    case 'state':
      return { id, op: r.op };
    case 'journal':
      if (
        typeof r.powerOn !== 'number' ||
        typeof r.since !== 'number' ||
        !Number.isSafeInteger(r.since) ||
        r.since < 0
      ) {
        throw new TypeError('journal needs a powerOn number and a non-negative since');
      }
      return { id, op: 'journal', powerOn: r.powerOn, since: r.since };
    case 'flash-begin':
      if (typeof r.bytes !== 'number' || !Number.isSafeInteger(r.bytes) || r.bytes <= 0) {
        throw new TypeError('flash-begin needs a positive byte count');
      }
      return { id, op: 'flash-begin', bytes: r.bytes };
    case 'flash-data':
      if (
        typeof r.offset !== 'number' ||
        !Number.isSafeInteger(r.offset) ||
        !(r.data instanceof Uint8Array)
      ) {
        throw new TypeError('flash-data needs an offset and bytes');
      }
      return { id, op: 'flash-data', offset: r.offset, data: r.data };
    default:
      throw new TypeError(`unknown op ${String(r.op)}`);
  }
}

/** What `status` answers. */
export interface BoardStatus {
  readonly processor: 1 | 2;
  readonly bootCount: number;
  readonly slots: ReadonlyArray<{
    slot: 0 | 1;
    version: string | null;
    status: string;
    active: boolean;
    trial: boolean;
  }>;
  /** The running pair, or null when no image runs. */
  readonly pair: PairStatus | null;
  readonly bootNotes: readonly string[];
}
