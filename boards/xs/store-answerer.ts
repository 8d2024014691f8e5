/**
 * The board's end of an XS engine's store (engine/board-store.ts is the
 * engine's): the requests the engine makes while it runs a command.
 */
import type { DurableRegion } from '../../firmware/hal.ts';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import { joined } from '../../firmware/wire/cbor-stream.ts';
import { regionBytes } from '../flash-region.ts';
import {
  CHANNEL_CBOR_LIMITS,
  STORE_PIECE_BYTES_MAX,
  type StoreAnswer,
  type StoreRequest,
} from './engine/channel.ts';

/**
 * The board's side of the engine's store requests: carried out on the
 * board's region at once (the pieces of a write gathered first). What the
 * region throws goes back to the engine, where it throws in the image as it
 * would on any board; a power cut in a board process ends the process
 * inside the operation, the worker with it.
 */
export function storeAnswerer(
  store: () => DurableRegion | null,
): (message: Uint8Array) => Uint8Array {
  /** The pieces of a write not programmed yet. */
  let gathering: { offset: number; pieces: Uint8Array[]; bytes: number } | null = null;
  const refuse = (message: string): never => {
    gathering = null;
    throw Object.assign(new Error(message), { code: 'hal-argument' });
  };
  const carryOut = (request: StoreRequest, store: DurableRegion): Uint8Array => {
    if (request.op !== 'write' && gathering !== null) refuse('a store write was left unfinished');
    switch (request.op) {
      case 'read':
        if (request.length > STORE_PIECE_BYTES_MAX) {
          refuse(`a store read of ${request.length} bytes is over ${STORE_PIECE_BYTES_MAX}`);
        }
        return store.read(request.offset, request.length);
      case 'write': {
        if (request.bytes.length > STORE_PIECE_BYTES_MAX) {
          refuse(
            `a store write piece of ${request.bytes.length} bytes is over ${STORE_PIECE_BYTES_MAX}`,
          );
        }
        const write = gathering ?? { offset: request.offset, pieces: [], bytes: 0 };
        if (write.offset !== request.offset) refuse('a store write piece of another write');
        write.pieces.push(request.bytes);
        write.bytes += request.bytes.length;
        if (write.bytes > regionBytes(store.geometry))
          refuse('a store write longer than the store');
        gathering = request.more ? write : null;
        if (!request.more) store.write(write.offset, joined(write.pieces));
        return new Uint8Array(0);
      }
      case 'erase':
        store.erase(request.block);
        return new Uint8Array(0);
    }
  };
  return (message) => {
    let answer: StoreAnswer;
    try {
      const region = store();
      if (region === null) throw new Error('this board has no durable store');
      answer = {
        bytes: carryOut(decodeCbor(message, CHANNEL_CBOR_LIMITS) as StoreRequest, region),
      };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      answer = {
        error: {
          code: typeof code === 'string' ? code : null,
          name: error instanceof Error ? error.name : 'Error',
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
    return encodeCbor(answer, CHANNEL_CBOR_LIMITS);
  };
}
