/**
 * The host's side of the `state` management op: reads a board's state
 * snapshot chunk by chunk (boards/state-read.ts), checks the whole against
 * its SHA-256 and decodes it. A read that the board answers 'snapshot-gone'
 * (another read began, or the board reset) starts again, a bounded number
 * of times.
 */
import { createHash } from 'node:crypto';
import {
  type PairStateSnapshot,
  STATE_CBOR_LIMITS,
  STATE_READ_MAX_BYTES,
  type StateChunk,
} from '../../boards/management.ts';
import { decodeCbor } from '../../firmware/wire/cbor.ts';
import { type BoardClient, BoardRefusedError } from './board-client.ts';

/** Times a read starts again after its snapshot went away. */
export const STATE_READ_RESTARTS_MAX = 3;

/** The board answered a state read with something no board should send. */
export class StateReadFailedError extends Error {
  readonly stateReadFailed = true;
  override name = 'StateReadFailedError';
}

/**
 * How long one chunk of a state read may take: a chunk is a frame's worth
 * at the management port's rate (about 0.35 s at 115200), and a board busy
 * with load (or a loaded machine under a lab) may take seconds more.
 */
export const STATE_CHUNK_TIMEOUT_MS = 10_000;

/** The pair's state as `board` holds it, however large (up to STATE_READ_MAX_BYTES encoded). */
export async function readBoardState(
  board: BoardClient,
  timeoutMs = STATE_CHUNK_TIMEOUT_MS,
): Promise<PairStateSnapshot> {
  for (let restart = 0; ; restart++) {
    try {
      return await readSnapshot(board, timeoutMs);
    } catch (error) {
      const gone = error instanceof BoardRefusedError && error.code === 'snapshot-gone';
      if (!gone || restart >= STATE_READ_RESTARTS_MAX) throw error;
    }
  }
}

async function readSnapshot(board: BoardClient, timeoutMs: number): Promise<PairStateSnapshot> {
  const first = checkChunk(await board.request({ op: 'state' }, timeoutMs), null, 0, board);
  const whole = new Uint8Array(first.total);
  whole.set(first.bytes, 0);
  let offset = first.bytes.length;
  while (offset < first.total) {
    const chunk = checkChunk(
      await board.request({ op: 'state', sha256: first.sha256, offset }, timeoutMs),
      first,
      offset,
      board,
    );
    whole.set(chunk.bytes, offset);
    offset += chunk.bytes.length;
  }
  if (createHash('sha256').update(whole).digest('hex') !== first.sha256) {
    throw new StateReadFailedError(
      `${board.label}: the state read does not match its SHA-256; read it again`,
    );
  }
  return decodeCbor(whole, STATE_CBOR_LIMITS) as PairStateSnapshot;
}

/** The chunk the board answered, checked against what was asked and the first chunk. */
function checkChunk(
  value: unknown,
  first: StateChunk | null,
  offset: number,
  board: BoardClient,
): StateChunk {
  const chunk = value as Partial<StateChunk> | null;
  const total = first?.total ?? chunk?.total;
  const sound =
    chunk !== null &&
    typeof chunk.sha256 === 'string' &&
    (first === null || chunk.sha256 === first.sha256) &&
    Number.isSafeInteger(total) &&
    (total as number) >= 0 &&
    (total as number) <= STATE_READ_MAX_BYTES &&
    chunk.total === total &&
    chunk.offset === offset &&
    chunk.bytes instanceof Uint8Array &&
    offset + chunk.bytes.length <= (total as number) &&
    // Each chunk but an empty state's only one carries bytes, or the read would never end.
    (chunk.bytes.length > 0 || total === 0);
  if (!sound) {
    throw new StateReadFailedError(
      `${board.label}: the board's state answer at offset ${offset} is not a chunk of at most ${STATE_READ_MAX_BYTES} bytes`,
    );
  }
  return chunk as StateChunk;
}
