/**
 * The management protocol on a board's host port: CBOR messages in frames.
 * The host asks, the board answers with the same id. Unknown or malformed
 * requests get an error answer and change nothing.
 */
import type { StoreGeometry } from '../firmware/hal.ts';
import type { PairStatus } from '../firmware/pair-main.ts';
import type { CborLimits } from '../firmware/wire/cbor.ts';
import { FRAME_PAYLOAD_MAX_BYTES } from '../firmware/wire/frame.ts';
import type { StoreWear } from './counted-store.ts';
import type { ImageErrorCode } from './image/errors.ts';
import type { EngineStatus } from './image-engine.ts';

export type ManagementRequest =
  | { readonly id: number; readonly op: 'status' }
  | {
      readonly id: number;
      readonly op: 'push-begin';
      /** Length of the whole image. */
      readonly bytes: number;
      /** SHA-256 of the whole image, lowercase hex: names the upload, so it can resume. */
      readonly sha256: string;
      /** Take an image older than the one running (the board refuses it otherwise: 'downgrade'). */
      readonly allowDowngrade?: boolean;
    }
  | {
      readonly id: number;
      readonly op: 'push-data';
      /** Where the chunk goes in the image (uncompressed offset). */
      readonly offset: number;
      /** The chunk as sent: the image bytes, or their raw deflate stream when `raw` is set. */
      readonly data: Uint8Array;
      /** Present when `data` is deflated: the chunk's length once inflated. */
      readonly raw?: number;
    }
  | { readonly id: number; readonly op: 'push-end' }
  | { readonly id: number; readonly op: 'switch' }
  /** The pair's journal after entry `since` of power-on `powerOn` (see boards/journal.ts). */
  | {
      readonly id: number;
      readonly op: 'journal';
      readonly powerOn: number;
      readonly since: number;
    }
  /**
   * The pair's state, read in chunks from a snapshot: without fields the
   * board takes a new snapshot and answers its first chunk; with the
   * snapshot's SHA-256 and an offset, the chunk from there (StateChunk).
   */
  | {
      readonly id: number;
      readonly op: 'state';
      readonly sha256?: string;
      readonly offset?: number;
    };

/** Why the board refuses a push op; nothing changed on the board. */
export type UploadRefusalCode =
  /** The announced length does not fit the inactive slot. */
  | 'too-large'
  /** The running image is on trial: the other slot holds the image to revert to. */
  | 'on-trial'
  /** push-data or push-end without a push-begin. */
  | 'no-transfer'
  /** A chunk not at the next offset, or running past the announced length. */
  | 'bad-offset'
  /** A deflated chunk that does not inflate to its announced length. */
  | 'bad-data'
  /** push-end before every byte arrived. */
  | 'incomplete'
  /** The image in flash does not match the SHA-256 push-begin announced. */
  | 'corrupted'
  /** The image is older than the one running and push-begin did not allow a downgrade. */
  | 'downgrade'
  /** The image is of another app than the one running (see boards/node/push-policy.ts). */
  | 'other-app';

/** Every code an error answer carries: a value to act on, never a sentence to match. */
export type ManagementErrorCode =
  | UploadRefusalCode
  /** The image was refused by verification (boards/image/verify.ts). */
  | ImageErrorCode
  /** Not a well-formed request (bad frame payload, bad CBOR, unknown op, bad fields). */
  | 'bad-request'
  /** The op needs a running image and none runs. */
  | 'no-image'
  /** The pair refused a switch. */
  | 'refused'
  /** A state read names a snapshot the board no longer holds (a newer read, or a reset): start again. */
  | 'snapshot-gone'
  /** The state does not encode within STATE_CBOR_LIMITS (too large, or values CBOR cannot carry). */
  | 'state-unreadable'
  /** A fault in the board support; the board goes on. */
  | 'internal';

export type ManagementReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: ManagementErrorCode;
      readonly message: string;
    };

/** What `push-begin` answers: the slot the image goes to and where to carry on. */
export interface PushBeginResult {
  readonly slot: 0 | 1;
  /** Image bytes already in the slot: 0 for a new upload, the length when it is all there. */
  readonly resumeAt: number;
}

/** What `push-data` answers. */
export interface PushDataResult {
  /**
   * Image bytes the board took so far: the next chunk goes here. Until the
   * image's head (header and manifest) is complete and checked they are held
   * in memory and the slot is untouched, so a cut then resumes at 0.
   */
  readonly written: number;
}

/** What `push-end` answers once the image is verified and installed. */
export interface PushEndResult {
  readonly slot: 0 | 1;
  readonly version: string;
  /** The board had no image and now runs this one. */
  readonly running: boolean;
}

/** What `state` answers: one chunk of the CBOR encoding of a PairStateSnapshot. */
export interface StateChunk {
  /** SHA-256 of the whole encoding, lowercase hex: names the snapshot. */
  readonly sha256: string;
  /** Bytes of the whole encoding. */
  readonly total: number;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** The snapshot a state read hands out, once its chunks are put together and decoded. */
export interface PairStateSnapshot {
  readonly version: string;
  readonly txn: number;
  readonly state: unknown;
}

/** Bytes a `state` answer needs besides its chunk (measured 130 with the largest fields). */
export const STATE_REPLY_ENVELOPE_MAX_BYTES = 160;
/** Bytes of state in one `state` answer: the answer fits one default frame. */
export const STATE_CHUNK_MAX_BYTES = FRAME_PAYLOAD_MAX_BYTES - STATE_REPLY_ENVELOPE_MAX_BYTES;
/**
 * The largest encoded state a read hands out (about 90 s at 115200 baud); a
 * board holds one snapshot of at most this size, and a host reads no more.
 */
export const STATE_READ_MAX_BYTES = 1024 * 1024;
/** Limits of a whole state snapshot, for the board's encoder and the host's decoder. */
export const STATE_CBOR_LIMITS: Readonly<CborLimits> = Object.freeze({
  bytesMax: STATE_READ_MAX_BYTES,
  depthMax: 32,
  // Every item takes at least one byte.
  itemsMax: STATE_READ_MAX_BYTES,
});

/** Bytes a push-data message needs besides its chunk (measured 49 with the largest fields). */
export const PUSH_DATA_ENVELOPE_MAX_BYTES = 64;
/** Bytes of data in one push-data message: the message fits one default frame. */
export const PUSH_CHUNK_MAX_BYTES = FRAME_PAYLOAD_MAX_BYTES - PUSH_DATA_ENVELOPE_MAX_BYTES;
/** Image bytes a deflated chunk may inflate to (the board's inflate is bounded by it). */
export const PUSH_INFLATED_CHUNK_MAX_BYTES = 16 * 1024;
/** The largest image a push may announce; a board refuses what its slot cannot hold. */
export const PUSH_IMAGE_MAX_BYTES = 64 * 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The fields each op may carry besides id and op: anything else is refused. */
const FIELDS: Readonly<Record<ManagementRequest['op'], readonly string[]>> = {
  status: [],
  'push-begin': ['bytes', 'sha256', 'allowDowngrade'],
  'push-data': ['offset', 'data', 'raw'],
  'push-end': [],
  switch: [],
  journal: ['powerOn', 'since'],
  state: ['sha256', 'offset'],
};

export function parseManagementRequest(value: unknown): ManagementRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError('request is not a map');
  const r = value as Record<string, unknown>;
  const id = r.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id))
    throw new TypeError('request id missing');
  const op = r.op;
  if (typeof op !== 'string' || !Object.hasOwn(FIELDS, op))
    throw new TypeError(`unknown op ${String(op)}`);
  const allowed = FIELDS[op as ManagementRequest['op']];
  for (const key of Object.keys(r)) {
    if (key !== 'id' && key !== 'op' && !allowed.includes(key))
      throw new TypeError(`${op} does not take a field ${key}`);
  }
  switch (op) {
    case 'status':
    case 'push-end':
    case 'switch':
      return { id, op };
    case 'state':
      if (r.sha256 === undefined && r.offset === undefined) return { id, op };
      if (typeof r.sha256 !== 'string' || !SHA256_HEX.test(r.sha256)) {
        throw new TypeError('state needs the snapshot SHA-256 as 64 lowercase hex digits');
      }
      if (!isCount(r.offset, 0, STATE_READ_MAX_BYTES)) {
        throw new TypeError(`state needs an offset from 0 to ${STATE_READ_MAX_BYTES}`);
      }
      return { id, op, sha256: r.sha256, offset: r.offset };
    case 'push-begin':
      if (!isCount(r.bytes, 1, PUSH_IMAGE_MAX_BYTES)) {
        throw new TypeError(`push-begin needs a byte count from 1 to ${PUSH_IMAGE_MAX_BYTES}`);
      }
      if (typeof r.sha256 !== 'string' || !SHA256_HEX.test(r.sha256)) {
        throw new TypeError('push-begin needs the image SHA-256 as 64 lowercase hex digits');
      }
      if (r.allowDowngrade === undefined) return { id, op, bytes: r.bytes, sha256: r.sha256 };
      if (typeof r.allowDowngrade !== 'boolean') {
        throw new TypeError('push-begin allowDowngrade must be true or false');
      }
      return { id, op, bytes: r.bytes, sha256: r.sha256, allowDowngrade: r.allowDowngrade };
    case 'push-data': {
      if (!isCount(r.offset, 0, PUSH_IMAGE_MAX_BYTES)) {
        throw new TypeError('push-data needs an offset inside the image');
      }
      const data = r.data;
      if (!(data instanceof Uint8Array) || data.length < 1 || data.length > PUSH_CHUNK_MAX_BYTES) {
        throw new TypeError(`push-data needs 1 to ${PUSH_CHUNK_MAX_BYTES} bytes of data`);
      }
      if (r.raw === undefined) return { id, op, offset: r.offset, data };
      if (!isCount(r.raw, 1, PUSH_INFLATED_CHUNK_MAX_BYTES)) {
        throw new TypeError(
          `push-data raw length must be from 1 to ${PUSH_INFLATED_CHUNK_MAX_BYTES}`,
        );
      }
      return { id, op, offset: r.offset, data, raw: r.raw };
    }
    case 'journal':
      if (typeof r.powerOn !== 'number' || !isCount(r.since, 0, Number.MAX_SAFE_INTEGER)) {
        throw new TypeError('journal needs a powerOn number and a non-negative since');
      }
      return { id, op, powerOn: r.powerOn, since: r.since };
    default:
      throw new TypeError(`unknown op ${op}`);
  }
}

function isCount(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** What `status` answers. */
export interface BoardStatus {
  readonly processor: 1 | 2;
  readonly bootCount: number;
  readonly slots: ReadonlyArray<{
    slot: 0 | 1;
    version: string | null;
    /** 'empty', 'valid', 'partial' (an upload under way or cut short), or why the image is refused. */
    status: string;
    /** With 'partial': image bytes written of the total. */
    upload?: { written: number; total: number };
    active: boolean;
    trial: boolean;
  }>;
  /** The running pair, or null when no image runs. */
  readonly pair: PairStatus | null;
  /** The engine running the image and its own accounting (XS's heap), or null when none runs. */
  readonly engine?: EngineStatus | null;
  readonly bootNotes: readonly string[];
  /** Boots in a row whose image stopped because the store failed: the next boot waits longer (board.ts). */
  readonly storeFailedBoots: number;
  /** Whether this board can reset its partner: 'none' means a takeover cannot fence the old primary. */
  readonly fence: 'wired' | 'none';
  /** The board's durable store (its geometry and operations since power-on), or null when it has none. */
  readonly store: StoreStatus | null;
}

/** A board's durable store as `status` reports it. What the log in it holds is the pair's (`pair.durable`). */
export interface StoreStatus {
  readonly geometry: StoreGeometry;
  /** Counted by the board as they happen; flash keeps no counts of its own, so they start at power-on. */
  readonly sincePowerOn: StoreWear;
}
