/**
 * CBOR messages, with limits: the firmware's own codec (cbor-encode.ts,
 * cbor-stream.ts); the reader checks the bounds item by item before it
 * allocates anything for one, and the encoder checks the same bounds, with
 * the reader's errors, as it writes. It is small
 * enough for a microcontroller's image, where cbor-x was 30 KB of a 64 KiB
 * budget, and it writes and reads exactly what cbor-x 1.6.8 did with the
 * options the firmware used: test/wire-cbor-differential.test.ts holds it
 * to cbor-x, the host's reference, on random and mutated messages.
 *
 * What round-trips:
 * - plain objects come back as plain objects (Object.prototype), arrays as arrays;
 * - Uint8Array is written as a plain byte string (major type 2, no tag 64) and
 *   comes back as a plain Uint8Array that owns its memory (not a view of the input);
 * - `undefined` is written as CBOR undefined (0xf7) and comes back as `undefined`,
 *   also as an object property value ({ x: undefined } keeps its key);
 * - numbers: integers from -2^32 to 2^32 - 1 as CBOR integers, everything else as
 *   float64; -0 is written as integer 0 and comes back as 0;
 * - strings as UTF-8; ill-formed UTF-8 from a peer decodes with U+FFFD, no error;
 * - class instances are written as plain maps of their own enumerable fields
 *   and come back as plain objects.
 * What does not: Map, Set, Date, RegExp, BigInt, Error, typed arrays other than
 * Uint8Array (Uint16Array, Float32Array, ...), other iterables, functions,
 * symbols and cyclic values: encodeCbor throws MessageError 'unsupported'.
 */

import { withEncoding } from './cbor-encode.ts';
import { type CborLimits, DEFAULT_CBOR_LIMITS } from './cbor-limits.ts';
import { CborStream } from './cbor-stream.ts';

export { SlicedEncoding } from './cbor-encode.ts';
export { type CborLimits, DEFAULT_CBOR_LIMITS } from './cbor-limits.ts';

/**
 * Encodes one message. Throws MessageError when the value cannot be written,
 * or when the result would be refused by decodeCbor under `limits`.
 */
export function encodeCbor(value: unknown, limits: CborLimits = DEFAULT_CBOR_LIMITS): Uint8Array {
  return withEncoding(value, limits, copyOf);
}

/**
 * The length of `encodeCbor(value, limits)`, with the same errors, without
 * copying the bytes out (the size of a message that is not sent yet).
 */
export function encodedLength(value: unknown, limits: CborLimits = DEFAULT_CBOR_LIMITS): number {
  return withEncoding(value, limits, lengthOf);
}

/**
 * Encodes one message, with encodeCbor's errors, and hands its bytes to
 * `use` before any copy of them is made: to frame a large message (a
 * store record) without holding it twice. The bytes are valid only during
 * the call, and `use` must not encode anything itself.
 */
export function withEncodedCbor<T>(
  value: unknown,
  limits: CborLimits,
  use: (encoded: Uint8Array) => T,
): T {
  return withEncoding(value, limits, use);
}

function copyOf(encoded: Uint8Array): Uint8Array {
  return encoded.slice();
}

function lengthOf(encoded: Uint8Array): number {
  return encoded.length;
}

/**
 * Decodes one message, refusing anything outside `limits` before it is
 * read: the streaming reader, given the message as its one piece.
 */
export function decodeCbor(bytes: Uint8Array, limits: CborLimits = DEFAULT_CBOR_LIMITS): unknown {
  const stream = new CborStream(limits, bytes.length);
  // A plain Uint8Array: a Buffer's slice() would share memory with the input.
  stream.push(
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  );
  return stream.finish();
}
