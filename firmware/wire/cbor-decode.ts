/**
 * Reads a message that scanCbor (cbor-scan.ts) has accepted, giving what
 * cbor-x 1.6.8 gives for it with the options the firmware used before it had
 * its own codec (useRecords false, mapsAsObjects true, copyBuffers true).
 * The scan has checked the structure, so this reads without checks of its
 * own: only definite lengths that fit the input, nesting within the limit,
 * text-string keys other than "__proto__", arguments of up to 4 bytes, no
 * tags, and simple values false, true, null, undefined and floats.
 *
 * As in cbor-x: maps are plain objects (a repeated key keeps its first place
 * and its last value); arrays are arrays; byte strings are Uint8Arrays that
 * own their memory; floats of every width are numbers (-0 stays -0); text
 * is decoded as TextDecoder does (utf8.ts).
 */
import {
  INFO_EIGHT_BYTES,
  INFO_FOUR_BYTES,
  INFO_ONE_BYTE,
  INFO_TWO_BYTES,
  MAJOR_ARRAY,
  MAJOR_BYTES,
  MAJOR_NEGATIVE,
  MAJOR_SIMPLE,
  MAJOR_TEXT,
  MAJOR_UNSIGNED,
  SIMPLE_FALSE,
  SIMPLE_NULL,
  SIMPLE_TRUE,
} from './cbor-heads.ts';
import { readUtf8 } from './utf8.ts';

const EMPTY = new Uint8Array(0);
let source: Uint8Array = EMPTY;
let position = 0;
/** Floats are read from a copy of their bytes here: no DataView over each message. */
const floatBytes = new Uint8Array(8);
const floatView = new DataView(floatBytes.buffer);

/** Decodes `bytes`, which scanCbor has accepted. */
export function readScanned(bytes: Uint8Array): unknown {
  // A plain Uint8Array: a Buffer's slice() would share memory with the input.
  source =
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  position = 0;
  try {
    return readValue();
  } finally {
    source = EMPTY; // holds no reference to the caller's input
    // Empty unless the read threw (setting the length is slow even when it is 0 already).
    if (filling.length !== 0) filling.length = 0;
  }
}

/** An array or map being filled: its items still to read (a map's keys and values both count). */
interface Filling {
  readonly container: unknown[] | Record<string, unknown>;
  readonly isMap: boolean;
  left: number;
  /** The next slot of an array. */
  index: number;
  /** A map's key read, waiting for its value. */
  key: string | null;
}

/** The arrays and maps being filled, innermost last. */
const filling: Filling[] = [];
/** readItem's answer for an array or map with items: they come next. */
const OPENED: unique symbol = Symbol('opened');

/**
 * Reads one item and everything in it. Iterative, not recursive: a
 * microcontroller's engine has a small stack (XS's 1,024 slots hold fewer
 * than a hundred calls), and a message nests up to its depth limit.
 */
function readValue(): unknown {
  for (;;) {
    let value = readItem();
    if (value === OPENED) continue;
    // Place the value; each container it completes is itself placed in the one around it.
    for (;;) {
      const frame = filling[filling.length - 1];
      if (frame === undefined) return value;
      frame.left -= 1;
      if (!frame.isMap) {
        (frame.container as unknown[])[frame.index++] = value;
      } else if (frame.key === null) {
        frame.key = value as string;
      } else {
        (frame.container as Record<string, unknown>)[frame.key] = value;
        frame.key = null;
      }
      if (frame.left > 0) break;
      filling.pop();
      value = frame.container;
    }
  }
}

/** The `count` bytes (2, 4 or 8) at `at` in `bytes` as a DataView over their copy. */
function floatAt(bytes: Uint8Array, at: number, count: number): DataView {
  for (let index = 0; index < count; index++) floatBytes[index] = bytes[at + index] as number;
  return floatView;
}

function readItem(): unknown {
  const initial = source[position++] as number;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === MAJOR_SIMPLE) {
    const value = simpleValue(info, source, position);
    // A float's bits follow its head: 2, 4 or 8 bytes.
    if (info >= INFO_TWO_BYTES) position += 1 << (info - INFO_ONE_BYTE);
    return value;
  }
  let argument = info;
  if (info === INFO_ONE_BYTE) {
    argument = source[position++] as number;
  } else if (info === INFO_TWO_BYTES) {
    argument = ((source[position] as number) << 8) | (source[position + 1] as number);
    position += 2;
  } else if (info === INFO_FOUR_BYTES) {
    argument =
      (source[position] as number) * 0x1000000 +
      (((source[position + 1] as number) << 16) |
        ((source[position + 2] as number) << 8) |
        (source[position + 3] as number));
    position += 4;
  } // The scan lets no 8-byte argument through but a float64's.
  switch (major) {
    case MAJOR_UNSIGNED:
      return argument;
    case MAJOR_NEGATIVE:
      return -1 - argument;
    case MAJOR_BYTES: {
      const start = position;
      position += argument;
      return source.slice(start, position);
    }
    case MAJOR_TEXT: {
      const start = position;
      position += argument;
      return readUtf8(source, start, position);
    }
    case MAJOR_ARRAY: {
      const array = new Array<unknown>(argument);
      return argument === 0 ? array : open(array, false, argument);
    }
    default: {
      // A map: its keys are text strings other than "__proto__" (the scan saw to it).
      const object: Record<string, unknown> = {};
      return argument === 0 ? object : open(object, true, argument * 2);
    }
  }
}

function open(
  container: unknown[] | Record<string, unknown>,
  isMap: boolean,
  items: number,
): typeof OPENED {
  filling.push({ container, isMap, left: items, index: 0, key: null });
  return OPENED;
}

/**
 * The value of a simple head with `info`, whose float bits (if any) begin at
 * `at` in `bytes`: false, true, null, undefined or a float (the scan, or
 * checkArgument, lets no other through).
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
export function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (0x400 + fraction) * 2 ** (exponent - 25);
}
