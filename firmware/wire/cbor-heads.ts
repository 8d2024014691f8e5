/**
 * The parts of a CBOR head the firmware's readers share (the pre-scan,
 * cbor-scan.ts; the decoder after it, cbor-decode.ts; the reader in pieces,
 * cbor-stream.ts), and the rules a head must pass before its argument means
 * anything, so that both readers refuse the same heads with the same errors.
 */
import { malformed, unsupported } from './cbor-limits.ts';

export const MAJOR_UNSIGNED = 0;
export const MAJOR_NEGATIVE = 1;
export const MAJOR_BYTES = 2;
export const MAJOR_TEXT = 3;
export const MAJOR_ARRAY = 4;
export const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
export const MAJOR_SIMPLE = 7;

/** The argument is in the next 1, 2, 4 or 8 bytes. */
export const INFO_ONE_BYTE = 24;
export const INFO_TWO_BYTES = 25;
export const INFO_FOUR_BYTES = 26;
export const INFO_EIGHT_BYTES = 27;
const INFO_INDEFINITE = 31;
export const SIMPLE_FALSE = 20;
export const SIMPLE_TRUE = 21;
export const SIMPLE_NULL = 22;

/**
 * Throws the MessageError for a head that cannot start an item of a
 * message: a tag, a map key that is not a text string, an indefinite
 * length, reserved additional information. `at` is where it begins.
 */
export function checkHead(initial: number, isKey: boolean, at: number): void {
  const major = initial >>> 5;
  const info = initial & 0x1f;
  if (major === MAJOR_TAG) throw unsupported({ code: 'tag', at });
  if (isKey && major !== MAJOR_TEXT) throw unsupported({ code: 'key-not-text', at, major });
  if (info === INFO_INDEFINITE) {
    if (major >= MAJOR_BYTES && major <= MAJOR_MAP) throw unsupported({ code: 'indefinite', at });
    throw malformed({ code: 'bad-head', at, head: initial });
  }
  if (info > INFO_EIGHT_BYTES) throw malformed({ code: 'reserved-info', at, info });
}

/**
 * Throws the MessageError for an argument the firmware's messages never
 * carry: 8 bytes wide (but a float64's), or a simple value other than
 * false, true, null, undefined and the floats.
 */
export function checkArgument(initial: number, at: number): void {
  const major = initial >>> 5;
  const info = initial & 0x1f;
  if (major === MAJOR_SIMPLE) {
    // Heads 0xf4..0xf7 and the three float widths; 0xf8 carries a simple value in the next byte.
    if (info < SIMPLE_FALSE || info === INFO_ONE_BYTE)
      throw unsupported({ code: 'simple-value', at });
    return;
  }
  if (info !== INFO_EIGHT_BYTES) return;
  // cbor-x turns 64-bit integers into BigInt; our encoder writes such numbers as floats.
  if (major === MAJOR_UNSIGNED || major === MAJOR_NEGATIVE)
    throw unsupported({ code: 'int64', at });
  throw unsupported({ code: 'length-8', at, major });
}
