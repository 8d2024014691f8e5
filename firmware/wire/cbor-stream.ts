/**
 * The firmware's CBOR reader: one message read in pieces, as they arrive
 * (the chunks of a big checkpoint), or whole (decodeCbor: one piece, its
 * length known ahead). Each piece is read into the value being built and
 * can be dropped at once, so the message's bytes are never held whole
 * beside what they decode to, and no single call reads more than a piece.
 * Nothing is allocated from a declared length before the bytes arrive:
 * arrays grow as their items come, strings as their bytes do.
 *
 * It gives what cbor-x 1.6.8 gives with the options the firmware used
 * before it had its own codec (useRecords false, mapsAsObjects true,
 * copyBuffers true): maps are plain objects (a repeated key keeps its first
 * place and its last value); arrays are arrays; byte strings are
 * Uint8Arrays that own their memory; text is decoded as TextDecoder does
 * (utf8.ts). It refuses, item by item in byte order, what the bounded
 * pre-scan in front of cbor-x refuses, with the same typed errors when the
 * message's length is known ahead (test/wire-cbor-differential.test.ts
 * holds it to both, whole and cut at random places); read in pieces, the
 * refusal of a message that ends early or has bytes after its item is
 * made when its end shows.
 */
import {
  checkArgument,
  checkHead,
  INFO_EIGHT_BYTES,
  INFO_ONE_BYTE,
  isProtoKey,
  MAJOR_ARRAY,
  MAJOR_BYTES,
  MAJOR_MAP,
  MAJOR_NEGATIVE,
  MAJOR_TEXT,
  MAJOR_UNSIGNED,
  simpleValue,
} from './cbor-heads.ts';
import {
  type CborLimits,
  malformed,
  noItemsAdmitted,
  protoKey,
  tooDeep,
  tooLarge,
  tooManyItems,
} from './cbor-limits.ts';
import { MessageError } from './errors.ts';
import { readUtf8 } from './utf8.ts';

/** The longest head: the initial byte and an 8-byte argument. */
const HEAD_BYTES_MAX = 9;

/** An array or map being filled; a map alternates keys and values. */
interface Open {
  readonly container: unknown[] | Record<string, unknown>;
  readonly isMap: boolean;
  /** Items still to come (a map's keys and values both count). */
  left: number;
  /** A map's key read, waiting for its value. */
  key: string | null;
}

/** A byte or text string whose bytes are still coming. */
interface Gathering {
  readonly major: typeof MAJOR_BYTES | typeof MAJOR_TEXT;
  readonly isKey: boolean;
  /** Where its head began in the message (for errors). */
  readonly at: number;
  left: number;
  readonly pieces: Uint8Array[];
}

export class CborStream {
  readonly #limits: CborLimits;
  /** The message's length when it is known ahead (Infinity when it is not). */
  readonly #total: number;
  /** Bytes of the message pushed so far. */
  #length = 0;
  /** The head of the next item, when a piece ended inside it. */
  readonly #head = new Uint8Array(HEAD_BYTES_MAX);
  #headLength = 0;
  /** Where that head began in the message. */
  #headStart = 0;
  #string: Gathering | null = null;
  readonly #open: Open[] = [];
  /** The innermost container being filled (the last of #open), null at the top level. */
  #top: Open | null = null;
  /** Items declared so far, the top-level one included. */
  #items = 1;
  #done = false;
  #value: unknown = undefined;
  /** The first refusal: the rest of the message is not read. */
  #refused: MessageError | null = null;

  /**
   * `total`, the message's length when it is known ahead, lets a length
   * declared beyond the message's end be refused at its head, as the
   * pre-scan does, rather than when the end shows.
   */
  constructor(limits: CborLimits, total = Number.POSITIVE_INFINITY) {
    this.#limits = limits;
    this.#total = total;
  }

  /** Bytes of the message read so far. */
  get length(): number {
    return this.#length;
  }

  /** Reads the next piece of the message. Never throws: a refusal is kept for `finish`. */
  push(piece: Uint8Array): void {
    if (this.#refused !== null || piece.length === 0) return;
    const start = this.#length;
    this.#length += piece.length;
    try {
      if (this.#length > this.#limits.bytesMax) throw tooLarge(this.#length, this.#limits);
      if (this.#limits.itemsMax < 1) throw noItemsAdmitted(this.#limits);
      this.#read(piece, start);
    } catch (error) {
      if (!(error instanceof MessageError)) throw error;
      this.#refused = error;
    }
  }

  /**
   * The message, when the pieces pushed hold exactly one; throws a
   * MessageError where decodeCbor would (see above). The stream keeps no
   * hold on the value: it is returned once.
   */
  finish(): unknown {
    if (this.#refused !== null) throw this.#refused;
    if (this.#length === 0) throw malformed({ code: 'empty' });
    if (this.#headLength > 0) throw malformed({ code: 'head-cut', at: this.#headStart });
    if (!this.#done) {
      throw malformed({ code: 'ends-early', at: this.#length });
    }
    const value = this.#value;
    this.#value = undefined;
    return value;
  }

  /** Reads `piece`, whose first byte is byte `at` of the message. */
  #read(piece: Uint8Array, at: number): void {
    let position = 0;
    while (position < piece.length) {
      const string = this.#string;
      if (string !== null) {
        const count = Math.min(string.left, piece.length - position);
        const end = position + count;
        if (string.pieces.length === 0 && count === string.left) {
          // The whole string is in this piece: read where it lies.
          this.#endString(string, piece, position, end);
        } else {
          string.pieces.push(piece.slice(position, end));
          string.left -= count;
          if (string.left === 0) {
            const bytes = joined(string.pieces);
            this.#endString(string, bytes, 0, bytes.length);
          }
        }
        position = end;
        continue;
      }
      if (this.#done) {
        throw new MessageError(
          'trailing-bytes',
          this.#total === Number.POSITIVE_INFINITY
            ? { code: 'trailing-at', at: at + position }
            : { code: 'trailing', bytes: this.#total - at - position },
        );
      }
      if (this.#headLength === 0) {
        const initial = piece[position] as number;
        const atKey = this.#atKey();
        // The commonest items are read here, inline (a call costs XS about 50
        // units an item), with the checks they need and no more; the general
        // path below gives the same values and errors. A short text string
        // whose bytes are in this piece; and where no key is due, an integer
        // whose head is in this piece, false, true, null or undefined, or an
        // array or map of fewer than 24 items.
        if (initial >= 0x60 && initial < 0x78 && position + 1 + (initial - 0x60) <= piece.length) {
          const end = position + 1 + (initial - 0x60);
          this.#endText(atKey, at + position, piece, position + 1, end);
          position = end;
          continue;
        }
        if (!atKey && (initial < 0x18 || (initial >= 0x20 && initial < 0x38))) {
          this.#place(initial < 0x20 ? initial : 0x1f - initial);
          position += 1;
          continue;
        }
        if (
          !atKey &&
          initial < 0x3b &&
          (initial & 0x1f) < 0x1b &&
          position + 1 + (1 << ((initial & 0x1f) - 0x18)) <= piece.length
        ) {
          // A 1-, 2- or 4-byte argument.
          const end = position + 1 + (1 << ((initial & 0x1f) - 0x18));
          let argument = 0;
          for (let index = position + 1; index < end; index++)
            argument = argument * 256 + (piece[index] as number);
          this.#place(initial < 0x20 ? argument : -1 - argument);
          position = end;
          continue;
        }
        if (!atKey && initial >= 0xf4 && initial <= 0xf7) {
          this.#place(simpleValue(initial & 0x1f, piece, position + 1));
          position += 1;
          continue;
        }
        if (
          !atKey &&
          ((initial >= 0x80 && initial < 0x98) || (initial >= 0xa0 && initial < 0xb8))
        ) {
          const count = initial & 0x1f;
          this.#checkDeclared(initial >>> 5, count, at + position, 1);
          this.#openContainer(initial >= 0xa0, count, at + position);
          position += 1;
          continue;
        }
        // Checked as soon as its first byte is here, before the rest of the head.
        checkHead(initial, atKey, at + position);
        const length = headLength(initial);
        if (position + length <= piece.length) {
          // The whole head is in this piece: read where it lies.
          this.#readHead(piece, position, at + position);
          position += length;
          continue;
        }
        this.#headStart = at + position;
      }
      // A head cut by the end of a piece: gathered whole first.
      this.#head[this.#headLength++] = piece[position++] as number;
      if (this.#headLength === headLength(this.#head[0] as number)) {
        this.#headLength = 0;
        this.#readHead(this.#head, 0, this.#headStart);
      }
    }
  }

  /** Reads the head at `start` in `bytes`, which is byte `at` of the message. */
  #readHead(bytes: Uint8Array, start: number, at: number): void {
    const initial = bytes[start] as number;
    const major = initial >>> 5;
    const info = initial & 0x1f;
    const end = start + headLength(initial);
    let argument = info;
    if (info >= INFO_ONE_BYTE) {
      argument = 0;
      for (let index = start + 1; index < end; index++)
        argument = argument * 256 + (bytes[index] as number);
    }
    if (major >= MAJOR_BYTES && major <= MAJOR_MAP)
      this.#checkDeclared(major, argument, at, end - start);
    checkArgument(initial, at);
    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE:
        this.#place(major === MAJOR_UNSIGNED ? argument : -1 - argument);
        return;
      case MAJOR_BYTES:
      case MAJOR_TEXT: {
        const string: Gathering = { major, isKey: this.#atKey(), at, left: argument, pieces: [] };
        if (argument === 0) this.#endString(string, bytes, start, start);
        else this.#string = string;
        return;
      }
      case MAJOR_ARRAY:
      case MAJOR_MAP:
        this.#openContainer(major === MAJOR_MAP, argument, at);
        return;
      default:
        this.#place(simpleValue(info, bytes, start + 1));
    }
  }

  /** Refuses a string's bytes, or an array's or map's items (each at least a byte), declared past the message's end. */
  #checkDeclared(major: number, argument: number, at: number, headBytes: number): void {
    const declared = major === MAJOR_MAP ? argument * 2 : argument;
    const remain = this.#total - at - headBytes;
    if (declared > remain) throw malformed({ code: 'declares-more', at, major, declared, remain });
  }

  /** An array (or a map) of `count` items (pairs) begins, its head at `at`. */
  #openContainer(isMap: boolean, count: number, at: number): void {
    if (this.#open.length >= this.#limits.depthMax) throw tooDeep(at, this.#limits);
    const children = isMap ? count * 2 : count;
    this.#items += children;
    if (this.#items > this.#limits.itemsMax) throw tooManyItems(this.#limits);
    const container = isMap ? {} : [];
    if (children === 0) {
      this.#place(container);
      return;
    }
    const open: Open = { container, isMap, left: children, key: null };
    this.#open.push(open);
    this.#top = open;
  }

  /** Whether the next item is a map's key. */
  #atKey(): boolean {
    const top = this.#top;
    return top?.isMap === true && top.key === null;
  }

  /** The string's bytes are `bytes` from `start` to `end`. */
  #endString(string: Gathering, bytes: Uint8Array, start: number, end: number): void {
    this.#string = null;
    if (string.major === MAJOR_BYTES) {
      // A byte string owns its memory, as decodeCbor's do (a joined one does already).
      this.#place(string.pieces.length > 1 ? bytes : bytes.slice(start, end));
      return;
    }
    this.#endText(string.isKey, string.at, bytes, start, end);
  }

  /** A text string whose head began at `at` is `bytes` from `start` to `end`. */
  #endText(isKey: boolean, at: number, bytes: Uint8Array, start: number, end: number): void {
    if (isKey && isProtoKey(bytes, start, end - start)) throw protoKey(at);
    this.#place(readUtf8(bytes, start, end));
  }

  /** A complete item: into the container it belongs to, completing it (and those around it) when it is the last. */
  #place(item: unknown): void {
    let value = item;
    for (;;) {
      const top = this.#top;
      if (top === null) {
        this.#value = value;
        this.#done = true;
        return;
      }
      top.left -= 1;
      if (!top.isMap) {
        (top.container as unknown[]).push(value);
      } else if (top.key === null) {
        top.key = value as string;
      } else {
        (top.container as Record<string, unknown>)[top.key] = value;
        top.key = null;
      }
      if (top.left > 0) return;
      this.#open.pop();
      this.#top = this.#open[this.#open.length - 1] ?? null;
      value = top.container;
    }
  }
}

/** Bytes of the head that `initial` begins. */
function headLength(initial: number): number {
  const info = initial & 0x1f;
  return info >= INFO_ONE_BYTE && info <= INFO_EIGHT_BYTES ? 1 + (1 << (info - INFO_ONE_BYTE)) : 1;
}

/** The pieces as one Uint8Array (the one piece itself when there is only one). */
export function joined(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}
