/**
 * Writes a message as CBOR, byte for byte as cbor-x 1.6.8 writes it with the
 * options the firmware used before it had its own codec (useRecords false,
 * tagUint8Array false, variableMapSize true), for every value that cbor-x
 * writes without tags, indefinite lengths or 64-bit integers; cbor-x is the
 * host's reference and test/wire-cbor-differential.test.ts holds the two
 * together. What cbor-x would write in a form decodeCbor refuses (Map, Set,
 * Date, RegExp, Error, BigInt, typed arrays other than Uint8Array,
 * iterables) is refused here at once, as are functions, symbols and cycles.
 *
 * The choices copied from cbor-x (see its encode.js):
 * - heads are minimal: 1, 2, 3 or 5 bytes, never the 9-byte form;
 * - a number that is an integer from -2^32 to 2^32 - 1 is a CBOR integer
 *   (-0 is 0); any other number (2^32 and up, fractions, NaN, infinities)
 *   is a float64, never a float16 or float32;
 * - an object whose constructor is Object, or one no rule below claims
 *   (class instances, null-prototype objects, a DataView), is a map of its
 *   own enumerable string keys in Object.keys order;
 * - an object whose constructor is Array is an array (holes are undefined);
 * - a Uint8Array (a Buffer too) or an ArrayBuffer is a byte string;
 * - strings are UTF-8, except that a lone surrogate in a string of fewer
 *   than 64 code units keeps its 3 bytes (utf8.ts).
 */
import {
  type CborLimits,
  noItemsAdmitted,
  protoKey,
  tooDeep,
  tooLarge,
  tooManyItems,
  unsupported,
} from './cbor-limits.ts';
import { MessageError } from './errors.ts';
import { writeUtf8 } from './utf8.ts';

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

/** The largest head plus a float64 fits in this; strings and bytes ask for their own room. */
const ITEM_BYTES_MAX = 9;
/** Strings this long (in UTF-16 code units) and longer get lone surrogates replaced, as in cbor-x. */
const WELL_FORMED_UNITS_MIN = 64;
/** The scratch area kept between messages: a message of up to a default frame fits without allocating. */
const SCRATCH_BYTES = 4096;
/** Growth of a larger message's area in one step (doubling, at least what is asked). */
const GROWTH_FACTOR = 2;

const scratch = new Uint8Array(SCRATCH_BYTES);
let target = scratch;
let view = new DataView(scratch.buffer);
let position = 0;
/** Bytes of the value written before target[0]: a sliced encoding's earlier pieces (0 otherwise). */
let emitted = 0;
const scratchView = new DataView(scratch.buffer);
/** The objects and arrays being written, outermost first: meeting one again is a cycle. */
let open: object[] = [];
/** For each of `open`: its items (a map's keys: its values are read as they are written), its keys (null for an array), the next to write. */
let openItems: unknown[][] = [];
let openKeys: (string[] | null)[] = [];
let openIndex: number[] = [];
let encoding = false;
/** The limits of the message being written, its item count so far, and the first bound it broke. */
let limits: CborLimits = { bytesMax: 0, depthMax: 0, itemsMax: 0 };
let itemCount = 0;
let broken: MessageError | null = null;

/**
 * Encodes `value` and passes the encoding to `use` (a view of a shared area,
 * valid only during the call); returns what `use` returns. Throws
 * MessageError when the value cannot be written, or when decodeCbor would
 * refuse the encoding under `bounds`, with the error its reader
 * (cbor-stream.ts) gives: the bounds are checked as the items are written, in
 * the reader's order, rather than by reading the bytes again.
 */
export function withEncoding<T>(
  value: unknown,
  bounds: CborLimits,
  use: (encoded: Uint8Array) => T,
): T {
  if (encoding) {
    // A getter of the value encoding another message would overwrite the shared area.
    throw unsupported({ code: 'reentrant' });
  }
  encoding = true;
  target = scratch;
  view = scratchView;
  position = 0;
  emitted = 0;
  closeAll();
  limits = bounds;
  itemCount = 1; // the top-level item
  broken = null;
  try {
    writeItem(value);
    writeOpen(Infinity);
  } catch (error) {
    throw encodeError(error);
  } finally {
    encoding = false;
    closeAll();
  }
  const encoded = target.subarray(0, position);
  // A larger area is dropped, so one big message does not pin its memory.
  target = scratch;
  view = scratchView;
  checkBounds(encoded.length);
  return use(encoded);
}

function encodeError(error: unknown): MessageError {
  if (error instanceof MessageError) return error;
  // A getter that threw.
  return unsupported({
    code: 'cannot-encode',
    error: error instanceof Error ? error.message : String(error),
  });
}

/** What a sliced encoding holds between its calls: the writer's variables (a list: the image is smaller). */
type Paused = [
  target: Uint8Array<ArrayBuffer>,
  view: DataView<ArrayBuffer>,
  position: number,
  emitted: number,
  open: object[],
  openItems: unknown[][],
  openKeys: (string[] | null)[],
  openIndex: number[],
  limits: CborLimits,
  itemCount: number,
  broken: MessageError | null,
];

/**
 * A large value (the big checkpoint, a store snapshot) encoded a slice at a
 * time, each slice given as it is written, so that no single call of a
 * board's loop spends the whole encoding's time (on a microcontroller, far
 * longer than the suspicion time) and the encoding is never held whole by
 * the encoder. Other messages may be encoded between two slices. The value
 * must not change until the encoding is done: its containers are read as
 * they are reached. The slices joined are withEncoding's bytes, with its
 * errors.
 */
export class SlicedEncoding {
  #paused: Paused;
  #value: unknown;
  readonly #firstBytes: number;
  #started = false;
  #done = false;

  constructor(value: unknown, bounds: CborLimits, firstBytes = SCRATCH_BYTES) {
    // The area is made at the first step, for the slices asked for.
    const none = new Uint8Array(0);
    this.#value = value;
    this.#firstBytes = firstBytes;
    this.#paused = [none, new DataView(none.buffer), 0, 0, [], [], [], [], bounds, 1, null];
  }

  /** Every slice is written: the last step gave the end of the encoding. */
  get done(): boolean {
    return this.#done;
  }

  /** Bytes of the encoding written so far. */
  get written(): number {
    return this.#paused[3] + this.#paused[2];
  }

  /**
   * Writes the next slice: at least `bytes`, or what is left (an item is
   * never split: a long string goes whole). Gives its bytes, valid until
   * the next step. Throws MessageError as withEncoding does, a bound it
   * broke with the last slice; the encoding is then of no use.
   */
  step(bytes: number): Uint8Array {
    if (encoding) throw unsupported({ code: 'reentrant' });
    const shared = pause();
    resume(this.#paused);
    encoding = true;
    try {
      emitted += position;
      position = 0;
      if (!this.#started) {
        this.#started = true;
        // It lives as long as the encoding: a slice and an item fit (a store's
        // slices are a few hundred bytes), and it grows as a longer one asks.
        target = new Uint8Array(Math.min(this.#firstBytes, bytes + ITEM_BYTES_MAX));
        view = new DataView(target.buffer);
        writeItem(this.#value);
      }
      if (writeOpen(bytes)) {
        this.#done = true;
        this.#value = undefined;
        checkBounds(emitted + position);
      }
      return target.subarray(0, position);
    } catch (error) {
      throw encodeError(error);
    } finally {
      encoding = false;
      this.#paused = pause();
      resume(shared);
    }
  }
}

function pause(): Paused {
  return [
    target,
    view,
    position,
    emitted,
    open,
    openItems,
    openKeys,
    openIndex,
    limits,
    itemCount,
    broken,
  ];
}

function resume(paused: Paused): void {
  [
    target,
    view,
    position,
    emitted,
    open,
    openItems,
    openKeys,
    openIndex,
    limits,
    itemCount,
    broken,
  ] = paused;
}

function closeAll(): void {
  // The four grow and shrink together; setting an array's length is slow even when it is 0 already.
  if (open.length === 0) return;
  open.length = 0;
  openItems.length = 0;
  openKeys.length = 0;
  openIndex.length = 0;
}

/** What the reader checks before the items, then the first item that broke a bound. */
function checkBounds(length: number): void {
  if (length > limits.bytesMax) throw tooLarge(length, limits);
  if (limits.itemsMax < 1) throw noItemsAdmitted(limits);
  if (broken !== null) throw broken;
}

/** An array or map of `children` items starts at `start`, inside `depth` others. */
function countContainer(start: number, depth: number, children: number): void {
  if (broken !== null) return;
  if (depth >= limits.depthMax) {
    broken = tooDeep(start, limits);
    return;
  }
  itemCount += children;
  if (itemCount > limits.itemsMax) broken = tooManyItems(limits);
}

function room(bytes: number): void {
  if (position + bytes <= target.length) return;
  const grown = new Uint8Array(Math.max(target.length * GROWTH_FACTOR, position + bytes));
  grown.set(target.subarray(0, position));
  target = grown;
  view = new DataView(grown.buffer);
}

/** A head: `major` (shifted) with `argument` in the fewest bytes (cbor-x's comparisons, 4 bytes at most). */
function writeHead(major: number, argument: number): void {
  if (argument < 0x18) {
    target[position++] = major | argument;
  } else if (argument < 0x100) {
    target[position++] = major | 0x18;
    target[position++] = argument;
  } else if (argument < 0x10000) {
    target[position++] = major | 0x19;
    target[position++] = argument >> 8;
    target[position++] = argument & 0xff;
  } else {
    target[position++] = major | 0x1a;
    view.setUint32(position, argument);
    position += 4;
  }
}

function headBytes(argument: number): number {
  return argument < 0x18 ? 1 : argument < 0x100 ? 2 : argument < 0x10000 ? 3 : 5;
}

/**
 * Writes the items of the containers open (after writeItem wrote the
 * value's head), until they are all written (true) or the area reaches
 * `until` bytes (false: call again to go on). Iterative, not recursive: a
 * microcontroller's engine has a small stack (XS's 1,024 slots hold fewer
 * than a hundred calls), and a message nests up to its depth limit.
 */
function writeOpen(until: number): boolean {
  for (let depth = open.length; depth > 0; depth = open.length) {
    if (position >= until) return false;
    const top = depth - 1;
    const items = openItems[top] as unknown[];
    const index = openIndex[top] as number;
    if (index === items.length) {
      open.pop();
      openItems.pop();
      openKeys.pop();
      openIndex.pop();
      continue;
    }
    openIndex[top] = index + 1;
    const keys = openKeys[top];
    if (keys !== null && keys !== undefined) {
      const key = keys[index] as string;
      // The scan refuses this key: it would let a message reach Object.prototype.
      if (key === '__proto__' && broken === null) broken = protoKey(emitted + position);
      writeText(key);
      writeItem((open[top] as Record<string, unknown>)[key]);
    } else writeItem(items[index]);
  }
  return true;
}

/** Writes a scalar, or the head of an array or map, whose items writeValue writes next. */
function writeItem(value: unknown): void {
  // Inline, not room(): a call costs XS about 30 units an item.
  if (position + ITEM_BYTES_MAX > target.length) room(ITEM_BYTES_MAX);
  switch (typeof value) {
    case 'string':
      writeText(value);
      return;
    case 'number':
      writeNumber(value);
      return;
    case 'boolean':
      target[position++] = value ? TRUE : FALSE;
      return;
    case 'undefined':
      target[position++] = UNDEFINED;
      return;
    case 'object':
      if (value === null) {
        target[position++] = NULL;
      } else {
        writeObject(value);
      }
      return;
    default:
      // bigint: cbor-x writes a 64-bit integer or a tag; function, symbol: it throws.
      throw unsupported({ code: 'not-data', type: typeof value });
  }
}

function writeNumber(value: number): void {
  if (value >>> 0 === value && value < 0x18) {
    target[position++] = value;
  } else if (value >>> 0 === value) {
    writeHead(MAJOR_UNSIGNED, value);
  } else if (value < 0 && value >= -0x100000000 && Math.floor(value) === value) {
    writeHead(MAJOR_NEGATIVE, -1 - value);
  } else {
    target[position++] = FLOAT64;
    view.setFloat64(position, value);
    position += 8;
  }
}

function writeText(text: string): void {
  const units = text.length;
  room(5 + units * 3);
  if (units < 0x18 && writeShortAscii(text, units)) return;
  // Write the bytes after a head sized for one byte per unit, then move them if it must grow.
  const guessed = headBytes(units);
  const start = position + guessed;
  const end = writeUtf8(text, target, start, units < WELL_FORMED_UNITS_MIN);
  const length = end - start;
  const needed = headBytes(length);
  if (needed !== guessed) target.copyWithin(position + needed, start, end);
  writeHead(MAJOR_TEXT, length);
  position += length;
}

/**
 * Writes `text`, of fewer than 24 units, when it is ASCII (a map's keys,
 * ids): its head is one byte, and each unit its byte. False, with nothing
 * written, when it is not.
 */
function writeShortAscii(text: string, units: number): boolean {
  const start = position + 1;
  for (let index = 0; index < units; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0x80) return false;
    target[start + index] = unit;
  }
  target[position] = MAJOR_TEXT | units;
  position = start + units;
  return true;
}

function writeBytes(bytes: Uint8Array): void {
  room(5 + bytes.length);
  writeHead(MAJOR_BYTES, bytes.length);
  target.set(bytes, position);
  position += bytes.length;
}

function writeObject(value: object): void {
  if (open.includes(value)) {
    throw unsupported({ code: 'cyclic' });
  }
  const madeBy = (value as { constructor?: unknown }).constructor;
  if (madeBy === Object) {
    writeMap(value);
  } else if (madeBy === Array) {
    writeArray(value as unknown[]);
  } else if (value instanceof Uint8Array) {
    writeBytes(value);
  } else if (value instanceof ArrayBuffer) {
    writeBytes(new Uint8Array(value));
  } else if (madeBy === Map || isTaggedByCborX(value)) {
    throw unsupported({
      code: 'not-data',
      type: Object.prototype.toString.call(value).slice(8, -1),
    });
  } else {
    writeMap(value);
  }
}

/**
 * What cbor-x writes with a tag or an indefinite length, or refuses (Map is
 * known by its constructor, as cbor-x knows it): Set, Date, RegExp, Error,
 * typed arrays but Uint8Array and any other iterable, async iterables and
 * blobs. Everything else is a map of its own fields.
 */
function isTaggedByCborX(value: object): boolean {
  const fields = value as { [key: symbol]: unknown };
  return (
    value instanceof Set ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    Boolean(fields[Symbol.iterator]) ||
    Boolean(fields[Symbol.asyncIterator]) ||
    fields[Symbol.toStringTag] === 'Blob' ||
    fields[Symbol.toStringTag] === 'File'
  );
}

function writeArray(array: unknown[]): void {
  openContainer(array, array, null, MAJOR_ARRAY, array.length);
}

function writeMap(object: object): void {
  // No list of its values beside its keys: a state's map of a hundred accounts is two lists of a hundred.
  const keys = Object.keys(object);
  openContainer(object, keys, keys, MAJOR_MAP, keys.length);
}

/** Starts an array or a map of `count` entries: its head now, its items by writeValue. */
function openContainer(
  value: object,
  items: unknown[],
  keys: string[] | null,
  major: number,
  count: number,
): void {
  countContainer(emitted + position, open.length, keys === null ? count : count * 2);
  open.push(value);
  openItems.push(items);
  openKeys.push(keys);
  openIndex.push(0);
  writeHead(major, count);
}
