/**
 * UTF-8 for CBOR text strings, in plain JavaScript: a board's engine need not
 * offer TextEncoder or TextDecoder.
 */

const REPLACEMENT = 0xfffd;
/**
 * Code units gathered before they are turned into a string: String.fromCharCode
 * takes them as arguments, which sit on the engine's stack (small on a microcontroller).
 */
const UNITS_PER_CHUNK = 256;
/** Texts this short are read in one call when they are ASCII (their bytes are their units). */
const SHORT_TEXT_UNITS = 32;
/** A byte of 0x80 or more, read as a unit: not ASCII. */
const NOT_ASCII = /[\x80-\xff]/;

/**
 * Writes `text` as UTF-8 into `target` from `at` (room for 3 bytes per code
 * unit is the caller's) and returns where it ended. A lone surrogate is
 * written as the 3 bytes of its code unit when `keepLoneSurrogates` (not
 * well-formed UTF-8), else as U+FFFD: cbor-x does the first for strings of
 * fewer than 64 code units and the second for longer ones, and we match it.
 */
export function writeUtf8(
  text: string,
  target: Uint8Array,
  at: number,
  keepLoneSurrogates: boolean,
): number {
  let position = at;
  const units = text.length;
  for (let index = 0; index < units; index++) {
    let unit = text.charCodeAt(index);
    if (unit < 0x80) {
      target[position++] = unit;
    } else if (unit < 0x800) {
      target[position++] = 0xc0 | (unit >> 6);
      target[position++] = 0x80 | (unit & 0x3f);
    } else if ((unit & 0xfc00) === 0xd800 && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00) {
      const point = 0x10000 + ((unit & 0x3ff) << 10) + (text.charCodeAt(++index) & 0x3ff);
      target[position++] = 0xf0 | (point >> 18);
      target[position++] = 0x80 | ((point >> 12) & 0x3f);
      target[position++] = 0x80 | ((point >> 6) & 0x3f);
      target[position++] = 0x80 | (point & 0x3f);
    } else {
      if (!keepLoneSurrogates && (unit & 0xf800) === 0xd800) unit = REPLACEMENT;
      target[position++] = 0xe0 | (unit >> 12);
      target[position++] = 0x80 | ((unit >> 6) & 0x3f);
      target[position++] = 0x80 | (unit & 0x3f);
    }
  }
  return position;
}

/** Whether `byte` is a continuation byte (10xxxxxx). */
function isTail(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * Decodes `bytes[start, end)` as UTF-8 the way TextDecoder does (and cbor-x
 * with it): each maximal ill-formed subsequence becomes one U+FFFD, no error.
 */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_TEXT_UNITS) {
    // Short ASCII (map keys, client ids) needs none of the general path's
    // gathering; a regular expression checks it faster than a loop would.
    const short = String.fromCharCode.apply(
      null,
      bytes.subarray(start, end) as unknown as number[],
    );
    if (!NOT_ASCII.test(short)) return short;
  }
  let text = '';
  const units: number[] = [];
  let position = start;
  while (position < end) {
    const lead = bytes[position++] as number;
    if (lead < 0x80) {
      units.push(lead);
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      if (position < end && isTail(bytes[position] as number)) {
        units.push(((lead & 0x1f) << 6) | ((bytes[position++] as number) & 0x3f));
      } else {
        units.push(REPLACEMENT);
      }
    } else if (lead >= 0xe0 && lead <= 0xef) {
      // The second byte's range excludes overlong forms (after e0) and surrogates (after ed).
      const low = lead === 0xe0 ? 0xa0 : 0x80;
      const high = lead === 0xed ? 0x9f : 0xbf;
      const second = position < end ? (bytes[position] as number) : -1;
      if (second < low || second > high) {
        units.push(REPLACEMENT);
      } else if (position + 1 < end && isTail(bytes[position + 1] as number)) {
        units.push(
          ((lead & 0x0f) << 12) | ((second & 0x3f) << 6) | ((bytes[position + 1] as number) & 0x3f),
        );
        position += 2;
      } else {
        units.push(REPLACEMENT);
        position++;
      }
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      // Excludes overlong forms (after f0) and code points above U+10FFFF (after f4).
      const low = lead === 0xf0 ? 0x90 : 0x80;
      const high = lead === 0xf4 ? 0x8f : 0xbf;
      const second = position < end ? (bytes[position] as number) : -1;
      if (second < low || second > high) {
        units.push(REPLACEMENT);
      } else if (!(position + 1 < end && isTail(bytes[position + 1] as number))) {
        units.push(REPLACEMENT);
        position++;
      } else if (!(position + 2 < end && isTail(bytes[position + 2] as number))) {
        units.push(REPLACEMENT);
        position += 2;
      } else {
        const point =
          ((lead & 0x07) << 18) |
          ((second & 0x3f) << 12) |
          (((bytes[position + 1] as number) & 0x3f) << 6) |
          ((bytes[position + 2] as number) & 0x3f);
        position += 3;
        units.push(0xd800 | ((point - 0x10000) >> 10), 0xdc00 | ((point - 0x10000) & 0x3ff));
      }
    } else {
      units.push(REPLACEMENT); // a stray continuation byte, or a lead byte no UTF-8 uses
    }
    if (units.length >= UNITS_PER_CHUNK) {
      text += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return units.length > 0 ? text + String.fromCharCode(...units) : text;
}
