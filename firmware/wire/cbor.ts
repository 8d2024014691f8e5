/**
 * CBOR messages through cbor-x, with limits.
 *
 * What round-trips (cbor-x 1.6.8 with the options below):
 * - plain objects come back as plain objects (Object.prototype), arrays as arrays;
 * - Uint8Array is written as a plain byte string (major type 2, no tag 64) and
 *   comes back as a plain Uint8Array that owns its memory (not a view of the input);
 * - `undefined` is written as CBOR undefined (0xf7) and comes back as `undefined`,
 *   also as an object property value ({ x: undefined } keeps its key);
 * - numbers: integers of up to 32 bits as CBOR integers, everything else as float64;
 *   -0 is written as integer 0 and comes back as 0;
 * - strings as UTF-8; ill-formed UTF-8 from a peer decodes with U+FFFD, no error;
 * - class instances are written as plain maps of their own enumerable fields
 *   and come back as plain objects.
 * What does not: cbor-x writes Map, Set, Date, RegExp, BigInt, Error and typed
 * arrays other than Uint8Array (Uint16Array, Float32Array, ...) with tags or
 * 64-bit integers, which decodeCbor refuses; so encodeCbor checks its own output
 * and throws MessageError 'unsupported' for them. Functions, symbols and cyclic
 * values throw 'unsupported' too.
 */

import { Decoder, Encoder } from 'cbor-x';
import { type CborLimits, DEFAULT_CBOR_LIMITS } from './cbor-limits.ts';
import { scanCbor } from './cbor-scan.ts';
import { MessageError } from './errors.ts';

export { type CborLimits, DEFAULT_CBOR_LIMITS } from './cbor-limits.ts';

const encoder = new Encoder({
  useRecords: false,
  structuredClone: false,
  // Without this, cbor-x on Node tags Uint8Array with tag 64 (its Buffer is the untagged kind).
  tagUint8Array: false,
  // Minimal map headers (a1 for one entry) instead of a fixed 16-bit count.
  variableMapSize: true,
});

const decoder = new Decoder({
  useRecords: false,
  mapsAsObjects: true,
  structuredClone: false,
  // Byte strings are copied: a view would pin, and alias, the caller's input buffer.
  copyBuffers: true,
});

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Encodes one message. Throws MessageError when the value cannot be written,
 * or when the result would be refused by decodeCbor under `limits`.
 */
export function encodeCbor(value: unknown, limits: CborLimits = DEFAULT_CBOR_LIMITS): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = encoder.encode(value);
  } catch (error) {
    throw new MessageError('unsupported', `value cannot be encoded as CBOR: ${describe(error)}`);
  }
  // cbor-x returns a Buffer slice of its shared 8 KB scratch area: copy to a plain, compact array.
  const encoded = new Uint8Array(shared);
  scanCbor(encoded, limits);
  return encoded;
}

/** Decodes one message, refusing anything outside `limits` before cbor-x sees it. */
export function decodeCbor(bytes: Uint8Array, limits: CborLimits = DEFAULT_CBOR_LIMITS): unknown {
  scanCbor(bytes, limits);
  // A fresh plain view: cbor-x caches a DataView on the array it is given, and a
  // Buffer input would make byte strings come back as Buffers.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decoder.decode(view);
  } catch (error) {
    throw new MessageError('malformed', `CBOR decoder rejected the message: ${describe(error)}`);
  }
}
