/**
 * The reference's pre-scan (helpers/cbor-x-reference.ts): a bounded,
 * iterative well-formedness check of a CBOR message, run before cbor-x, and
 * the refusals the firmware's reader (firmware/wire/cbor-stream.ts) must
 * give exactly, code and facts. It was the firmware's own, in front of its
 * decoder, until the streaming reader became the one decoder. cbor-x pre-allocates from declared lengths (`new Array(n)`),
 * so a few bytes declaring a huge array could cost hundreds of megabytes; this
 * scan refuses such input without allocating anything proportional to it.
 *
 * Accepted: one top-level item of unsigned/negative integers, byte strings,
 * text strings, arrays, maps with text-string keys, false/true/null/undefined
 * and floats, all definite-length, no tags, and no head with an 8-byte
 * argument but a float64: the encoders (ours and cbor-x) write none, cbor-x
 * turns a 64-bit integer into a BigInt, and its native string reader on Node
 * rejects a string whose length has 8 bytes, so both decoders agree only
 * without them.
 */

import {
  checkArgument,
  checkHead,
  INFO_ONE_BYTE,
  isProtoKey,
  MAJOR_ARRAY,
  MAJOR_BYTES,
  MAJOR_MAP,
  MAJOR_NEGATIVE,
  MAJOR_SIMPLE,
  MAJOR_TEXT,
  MAJOR_UNSIGNED,
} from '../../firmware/wire/cbor-heads.ts';
import {
  type CborLimits,
  malformed,
  noItemsAdmitted,
  protoKey,
  tooDeep,
  tooLarge,
  tooManyItems,
} from '../../firmware/wire/cbor-limits.ts';
import { MessageError } from '../../firmware/wire/errors.ts';

/** Big-endian unsigned argument of 1, 2, 4 or 8 bytes (8-byte values above 2^53 lose precision, which only matters for comparisons against small remaining lengths). */
function readArgument(bytes: Uint8Array, start: number, size: number): number {
  let value = 0;
  for (let index = 0; index < size; index++) {
    value = value * 256 + (bytes[start + index] as number);
  }
  return value;
}

/** Throws MessageError unless `bytes` is exactly one acceptable CBOR item within `limits`. */
export function scanCbor(bytes: Uint8Array, limits: CborLimits): void {
  const end = bytes.length;
  if (end > limits.bytesMax) {
    throw tooLarge(end, limits);
  }
  if (end === 0) throw malformed({ code: 'empty' });
  if (limits.itemsMax < 1) throw noItemsAdmitted(limits);

  // Items still to read in each open array or map, innermost last; bounded by depthMax.
  const itemsLeft: number[] = [];
  const isMap: boolean[] = [];
  let itemCount = 1; // the top-level item
  let topLevelRead = false;
  let position = 0;

  for (;;) {
    let depth = itemsLeft.length;
    while (depth > 0 && itemsLeft[depth - 1] === 0) {
      itemsLeft.pop();
      isMap.pop();
      depth--;
    }
    let isKey = false;
    if (depth === 0) {
      if (topLevelRead) break;
      topLevelRead = true;
    } else {
      const left = itemsLeft[depth - 1] as number;
      // A map of n entries expects 2n items, keys at the even counts.
      isKey = isMap[depth - 1] === true && left % 2 === 0;
      itemsLeft[depth - 1] = left - 1;
    }

    const itemStart = position;
    if (position >= end) {
      throw malformed({ code: 'ends-early', at: end });
    }
    const initialByte = bytes[position] as number;
    position++;
    const major = initialByte >>> 5;
    const info = initialByte & 0x1f;
    checkHead(initialByte, isKey, itemStart);
    let argument = info;
    if (info >= INFO_ONE_BYTE) {
      const size = 1 << (info - INFO_ONE_BYTE);
      if (size > end - position) {
        throw malformed({ code: 'head-cut', at: itemStart });
      }
      argument = readArgument(bytes, position, size);
      position += size;
    }

    switch (major) {
      case MAJOR_UNSIGNED:
      case MAJOR_NEGATIVE:
      case MAJOR_SIMPLE:
        checkArgument(initialByte, itemStart);
        break;
      case MAJOR_BYTES:
      case MAJOR_TEXT:
        if (argument > end - position) {
          throw malformed({
            code: 'declares-more',
            at: itemStart,
            major,
            declared: argument,
            remain: end - position,
          });
        }
        checkArgument(initialByte, itemStart);
        if (isKey && isProtoKey(bytes, position, argument)) {
          throw protoKey(itemStart);
        }
        position += argument;
        break;
      case MAJOR_ARRAY:
      case MAJOR_MAP: {
        const childCount = major === MAJOR_MAP ? argument * 2 : argument;
        // Every item takes at least one byte.
        if (childCount > end - position) {
          throw malformed({
            code: 'declares-more',
            at: itemStart,
            major,
            declared: childCount,
            remain: end - position,
          });
        }
        checkArgument(initialByte, itemStart);
        if (depth >= limits.depthMax) throw tooDeep(itemStart, limits);
        itemCount += childCount;
        if (itemCount > limits.itemsMax) throw tooManyItems(limits);
        if (childCount > 0) {
          itemsLeft.push(childCount);
          isMap.push(major === MAJOR_MAP);
        }
        break;
      }
    }
  }

  if (position !== end) {
    throw new MessageError('trailing-bytes', { code: 'trailing', bytes: end - position });
  }
}
