/**
 * The board's side of the `state` management op: a state of any size up to
 * STATE_READ_MAX_BYTES goes out in chunks that each fit one frame. A read
 * starts by taking a snapshot (the state encoded once, named by its
 * SHA-256), so a state that changes between chunks cannot tear the read;
 * the board holds the latest snapshot only, and a read of an older one is
 * answered 'snapshot-gone' (the host starts again).
 */
import { createHash } from 'node:crypto';
import { errorText } from '../firmware/reasons.ts';
import { encodeCbor } from '../firmware/wire/cbor.ts';
import type {
  ManagementErrorCode,
  ManagementReply,
  ManagementRequest,
  PairStateSnapshot,
  StateChunk,
} from './management.ts';
import { STATE_CBOR_LIMITS, STATE_CHUNK_MAX_BYTES } from './management.ts';

/** A state read refused; the code goes into the error answer. */
export class StateReadError extends Error {
  override name = 'StateReadError';
  constructor(
    readonly code: Extract<
      ManagementErrorCode,
      'snapshot-gone' | 'state-unreadable' | 'bad-offset'
    >,
    message: string,
  ) {
    super(message);
  }
}

export class StateReads {
  #snapshot: { readonly sha256: string; readonly bytes: Uint8Array } | null = null;

  /**
   * Answers a `state` request: a chunk of the snapshot it names, or the first
   * chunk of a new snapshot of what `current` gives (null: no image runs).
   */
  answer(
    request: Extract<ManagementRequest, { op: 'state' }>,
    current: () => PairStateSnapshot | null,
  ): ManagementReply {
    const { id } = request;
    try {
      if (request.sha256 !== undefined && request.offset !== undefined) {
        return { id, ok: true, result: this.chunk(request.sha256, request.offset) };
      }
      const state = current();
      if (state === null) return { id, ok: false, error: 'no-image', message: 'no image runs' };
      return { id, ok: true, result: this.begin(state) };
    } catch (error) {
      if (!(error instanceof StateReadError)) throw error;
      return { id, ok: false, error: error.code, message: error.message };
    }
  }

  /** Takes a new snapshot of `state` and answers its first chunk. */
  begin(state: PairStateSnapshot): StateChunk {
    let bytes: Uint8Array;
    try {
      bytes = encodeCbor(state, STATE_CBOR_LIMITS);
    } catch (error) {
      throw new StateReadError(
        'state-unreadable',
        `the state cannot be handed out: ${errorText(error)}`,
      );
    }
    this.#snapshot = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
    return this.chunk(this.#snapshot.sha256, 0);
  }

  /** The chunk of snapshot `sha256` from `offset`. */
  chunk(sha256: string, offset: number): StateChunk {
    const snapshot = this.#snapshot;
    if (snapshot === null || snapshot.sha256 !== sha256) {
      throw new StateReadError(
        'snapshot-gone',
        'the board no longer holds that state snapshot (another read began, or it reset); read again from the start',
      );
    }
    const total = snapshot.bytes.length;
    if (offset > total) {
      throw new StateReadError(
        'bad-offset',
        `offset ${offset} is past the snapshot's ${total} bytes`,
      );
    }
    const bytes = snapshot.bytes.subarray(offset, offset + STATE_CHUNK_MAX_BYTES);
    return { sha256, total, offset, bytes };
  }
}
