/**
 * The parts of a CBOR head the firmware's readers share (the pre-scan,
 * test/helpers/cbor-scan.ts, in front of cbor-x as the reference; the
 * firmware's reader, cbor-stream.ts), the rules a head must pass before its
 * argument means anything, so that both refuse the same heads with the same
 * errors, and the values of the simple heads.
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

/** UTF-8 of "__proto__": such a key would let a message reach Object.prototype. */
const PROTO_KEY_BYTES = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f];

/** Whether the `length` bytes at `start` are the UTF-8 of "__proto__". */
export function isProtoKey(bytes: Uint8Array, start: number, length: number): boolean {
  if (length !== PROTO_KEY_BYTES.length) return false;
  for (let index = 0; index < length; index++) {
    if (bytes[start + index] !== PROTO_KEY_BYTES[index]) return false;
  }
  return true;
}

/** Floats are read from a copy of their bytes here: no DataView over each message. */
const floatBytes = new Uint8Array(8);
const floatView = new DataView(floatBytes.buffer);

/** The `count` bytes (2, 4 or 8) at `at` in `bytes` as a DataView over their copy. */
function floatAt(bytes: Uint8Array, at: number, count: number): DataView {
  for (let index = 0; index < count; index++) floatBytes[index] = bytes[at + index] as number;
  return floatView;
}

/**
 * The value of a simple head with `info`, whose float bits (if any) begin at
 * `at` in `bytes`: false, true, null, undefined or a float (as cbor-x gives
 * them: floats of every width are numbers, -0 stays -0). checkArgument lets
 * no other through.
 */
export function simpleValue(info: number, bytes: Uint8Array, at: number): unknown {
  switch (info) {
    case SIMPLE_FALSE:
      return false;
    case SIMPLE_TRUE:
      return true;
    case SIMPLE_NULL:
      return null;
    case INFO_TWO_BYTES:
      return float16(floatAt(bytes, at, 2).getUint16(0));
    case INFO_FOUR_BYTES:
      return floatAt(bytes, at, 4).getFloat32(0);
    case INFO_EIGHT_BYTES:
      return floatAt(bytes, at, 8).getFloat64(0);
    default:
      return undefined; // 23
  }
}

/** An IEEE 754 half-precision value; every one is exact as a number. */
function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (0x400 + fraction) * 2 ** (exponent - 25);
}
