/**
 * CBOR for the engine's side of the channel to its board (channel.ts): the
 * subset the channel carries, written and read without the firmware codec's
 * checks. The firmware codec (firmware/wire/cbor.ts) guards a board against
 * its peers: bounds checked before anything is allocated, limits, cbor-x's rules for every value. Here
 * the other end is the board itself, the native code a Moddable board would
 * run this IO in, and the board reads what the engine writes with the
 * firmware codec, limits and all. Loaded into XS beside the image, the
 * firmware codec took 20 KB of the engine's heap; this takes a few.
 *
 * Written as the firmware codec writes (test/xs-channel-codec.test.ts holds
 * them to the same bytes): null, undefined, booleans, numbers (integers from
 * -2^32 to 2^32 - 1 as integers, the rest as float64), strings, Uint8Array,
 * arrays, and any other object as a map of its own enumerable fields. Read:
 * what the board's encoder writes for those.
 */
import { readUtf8, writeUtf8 } from '../../../firmware/wire/utf8.ts';

const MAJOR_UNSIGNED = 0x00;
const MAJOR_NEGATIVE = 0x20;
const MAJOR_BYTES = 0x40;
const MAJOR_TEXT = 0x60;
const MAJOR_ARRAY = 0x80;
const MAJOR_MAP = 0xa0;
const FALSE = 0xf4;
const TRUE = 0xf5;
const NULL = 0xf6;
const UNDEFINED = 0xf7;
const FLOAT64 = 0xfb;
/** Room kept after a byte string for the fields that follow it in a channel message. */
const TRAILING_FIELDS_BYTES = 64;
/** Strings this long (in UTF-16 code units) and longer get lone surrogates replaced, as the firmware codec does. */
const WELL_FORMED_UNITS_MIN = 64;

/** The bytes of `value` in a buffer of their own. */
export function writeChannel(value: unknown): ArrayBuffer {
  const out = { bytes: new Uint8Array(256), length: 0 };
  write(out, value);
  return out.bytes.buffer.slice(0, out.length) as ArrayBuffer;
}

interface Out {
  bytes: Uint8Array;
  length: number;
}

function room(out: Out, more: number): void {
  if (out.length + more <= out.bytes.length) return;
  const grown = new Uint8Array(Math.max(out.bytes.length * 2, out.length + more));
  grown.set(out.bytes.subarray(0, out.length));
  out.bytes = grown;
}

function head(out: Out, major: number, argument: number): void {
  room(out, 9);
  const bytes = out.bytes;
  if (argument < 24) {
    bytes[out.length++] = major | argument;
  } else if (argument < 0x100) {
    bytes[out.length++] = major | 24;
    bytes[out.length++] = argument;
  } else if (argument < 0x10000) {
    bytes[out.length++] = major | 25;
    bytes[out.length++] = argument >> 8;
    bytes[out.length++] = argument & 0xff;
  } else {
    bytes[out.length++] = major | 26;
    for (let shift = 24; shift >= 0; shift -= 8) bytes[out.length++] = (argument >>> shift) & 0xff;
  }
}

/** Recursive: the channel's values nest a few levels, and the engine writes them at the top of its stack. */
function write(out: Out, value: unknown): void {
  if (value === null || value === undefined || typeof value === 'boolean') {
    room(out, 1);
    out.bytes[out.length++] =
      value === null ? NULL : value === undefined ? UNDEFINED : value ? TRUE : FALSE;
  } else if (typeof value === 'number') {
    if (value >>> 0 === value) {
      head(out, MAJOR_UNSIGNED, value);
    } else if (value < 0 && value >= -0x100000000 && Math.floor(value) === value) {
      head(out, MAJOR_NEGATIVE, -1 - value);
    } else {
      room(out, 9);
      out.bytes[out.length++] = FLOAT64;
      new DataView(out.bytes.buffer).setFloat64(out.length, value);
      out.length += 8;
    }
  } else if (typeof value === 'string') {
    const units = value.length;
    room(out, 9 + units * 3);
    // Written after the longest head it can need, then moved next to the head it has.
    const start = out.length + 5;
    const end = writeUtf8(value, out.bytes, start, units < WELL_FORMED_UNITS_MIN);
    head(out, MAJOR_TEXT, end - start);
    out.bytes.copyWithin(out.length, start, end);
    out.length += end - start;
  } else if (value instanceof Uint8Array) {
    head(out, MAJOR_BYTES, value.length);
    // With room for the few small fields a store write or a serial write has after its bytes,
    // so that a 4 KiB piece does not double the buffer to 8 KiB for them.
    room(out, value.length + TRAILING_FIELDS_BYTES);
    out.bytes.set(value, out.length);
    out.length += value.length;
  } else if (Array.isArray(value)) {
    head(out, MAJOR_ARRAY, value.length);
    for (const item of value) write(out, item);
  } else if (typeof value === 'object') {
    const keys = Object.keys(value);
    head(out, MAJOR_MAP, keys.length);
    for (const key of keys) {
      write(out, key);
      write(out, (value as Record<string, unknown>)[key]);
    }
  } else {
    throw new TypeError(`a ${typeof value} does not cross the channel`);
  }
}

/** The value in `message`, as the board's encoder wrote it. */
export function readChannel(message: ArrayBuffer): unknown {
  const source = { bytes: new Uint8Array(message), at: 0 };
  const value = read(source);
  if (source.at !== source.bytes.length) throw new TypeError('bytes follow the channel message');
  return value;
}

interface In {
  readonly bytes: Uint8Array;
  at: number;
}

function read(source: In): unknown {
  const bytes = source.bytes;
  const initial = bytes[source.at++];
  if (initial === undefined) throw new TypeError('the channel message ends early');
  const major = initial & 0xe0;
  const info = initial & 0x1f;
  if (major === 0xe0) {
    if (initial === FALSE || initial === TRUE) return initial === TRUE;
    if (initial === NULL) return null;
    if (initial === UNDEFINED) return undefined;
    if (initial !== FLOAT64) throw new TypeError(`head 0x${initial.toString(16)} on the channel`);
    const value = new DataView(bytes.buffer, bytes.byteOffset + source.at, 8).getFloat64(0);
    source.at += 8;
    return value;
  }
  let argument = info;
  if (info >= 24) {
    if (info > 26) throw new TypeError(`head 0x${initial.toString(16)} on the channel`);
    argument = 0;
    for (let count = 1 << (info - 24); count > 0; count--)
      argument = argument * 256 + (bytes[source.at++] as number);
  }
  switch (major) {
    case MAJOR_UNSIGNED:
      return argument;
    case MAJOR_NEGATIVE:
      return -1 - argument;
    case MAJOR_BYTES:
      source.at += argument;
      return bytes.slice(source.at - argument, source.at);
    case MAJOR_TEXT:
      source.at += argument;
      return readUtf8(bytes, source.at - argument, source.at);
    case MAJOR_ARRAY: {
      const array: unknown[] = [];
      for (let index = 0; index < argument; index++) array.push(read(source));
      return array;
    }
    case MAJOR_MAP: {
      const map: Record<string, unknown> = {};
      for (let index = 0; index < argument; index++) {
        const key = read(source);
        if (typeof key !== 'string' || key === '__proto__')
          throw new TypeError('a map key on the channel is not a plain string');
        map[key] = read(source);
      }
      return map;
    }
    default:
      throw new TypeError(`head 0x${initial.toString(16)} on the channel`);
  }
}
