/**
 * The engine's end of a board's durable store (the board's end is
 * ../store-answerer.ts): each operation a request to the board, which
 * blocks until the board answers (xsnap's issueCommand).
 */
import type { DurableRegion, StoreGeometry } from '../../../firmware/hal.ts';
import { STORE_PIECE_BYTES_MAX, type StoreAnswer, type StoreRequest } from './channel.ts';
import { readChannel, writeChannel } from './channel-codec.ts';

/** xsnap's call up to the board: sends a request and blocks until the board answers. */
export function askBoard(request: StoreRequest): Uint8Array {
  const issue = (globalThis as { issueCommand?: (message: ArrayBuffer) => ArrayBuffer })
    .issueCommand;
  if (issue === undefined) throw new Error('this engine has no issueCommand to reach the board');
  const answer = readChannel(issue(writeChannel(request))) as StoreAnswer;
  if ('error' in answer) {
    // The store's error as the HAL states them ('hal-argument', 'hal-failed'), as it threw on the board.
    const { code, name, message } = answer.error;
    throw Object.assign(new Error(message), { code, name });
  }
  return answer.bytes;
}

/**
 * The store as the image sees it: every operation goes to the board, which
 * holds the bytes and applies the flash rules. Reads and writes cross in
 * pieces of at most STORE_PIECE_BYTES_MAX, so the engine holds no more than
 * the bytes its caller asked for or handed over, and no copy of them.
 */
export function boardStore(
  geometry: StoreGeometry | null,
  askBoard: (request: StoreRequest) => Uint8Array,
): DurableRegion | null {
  if (geometry === null) return null;
  return {
    geometry,
    read: (offset, length) => {
      // One piece is the answer's own bytes: a copy would hold them twice.
      if (length <= STORE_PIECE_BYTES_MAX) return askBoard({ op: 'read', offset, length });
      const bytes = new Uint8Array(length);
      for (let at = 0; at < length; at += STORE_PIECE_BYTES_MAX) {
        const count = Math.min(STORE_PIECE_BYTES_MAX, length - at);
        bytes.set(askBoard({ op: 'read', offset: offset + at, length: count }), at);
      }
      return bytes;
    },
    write: (offset, bytes) => {
      let at = 0;
      do {
        const end = Math.min(at + STORE_PIECE_BYTES_MAX, bytes.length);
        askBoard({ op: 'write', offset, bytes: bytes.subarray(at, end), more: end < bytes.length });
        at = end;
      } while (at < bytes.length);
    },
    erase: (block) => {
      askBoard({ op: 'erase', block });
    },
  };
}
