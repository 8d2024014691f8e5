/**
 * Framing for a raw UART byte stream:
 *
 *   [SYNC 0xA5][length u16 LE][crc8 of SYNC + length][payload: length bytes][crc32c of payload u32 LE]
 *
 * The header has its own CRC so that a corrupted length is caught at once,
 * instead of making the decoder wait for a payload that will never come.
 */

import type { ReasonOf } from '../reasons.ts';
import { crc8 } from './crc8.ts';
import { crc32c } from './crc32c.ts';
import { FrameError, WireArgumentError } from './errors.ts';

export const FRAME_SYNC_BYTE = 0xa5;
/** SYNC, two length bytes, header CRC-8. */
export const FRAME_HEADER_BYTES = 4;
/** Payload CRC-32C. */
export const FRAME_TRAILER_BYTES = 4;
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES;
/** Default payload limit, for encoder and decoder alike. */
export const FRAME_PAYLOAD_MAX_BYTES = 4096;
/**
 * A `cutShortAfterMs` for lines whose senders write each frame whole: longer
 * than any pause inside a frame a sender's stall makes, shorter than a
 * client's retry. A reader's own stall does not cut a frame: the rest that
 * waited for it does not begin a frame.
 */
export const FRAME_CUT_SHORT_AFTER_MS = 100;
/** A decoder's buffer before any frame needed more: a request or a checkpoint fits. */
const FIRST_BUFFER_BYTES = 256;
/** The length field is a u16, so no limit may exceed this. */
export const FRAME_PAYLOAD_LIMIT_MAX_BYTES = 0xffff;

export type FrameEvent =
  | { readonly kind: 'frame'; readonly payload: Uint8Array }
  | { readonly kind: 'error'; readonly error: FrameError };

export interface FrameDecoderOptions {
  /** Frames declaring a longer payload are rejected as 'oversize'. */
  payloadMaxBytes?: number;
  /**
   * A sender writes a frame's bytes back to back. When the bytes that would
   * continue a frame come more than this long after the last ones and begin
   * a frame of their own (a sync byte and a good header), that frame was cut
   * short (its sender lost power mid-frame): it is dropped, and the new bytes
   * are read afresh. Bytes that do not begin a frame are its rest, which
   * waited while the reader stalled. Needs the time passed to `push`. Off
   * when unset.
   */
  cutShortAfterMs?: number;
  /**
   * The line's time for one byte. A sender writes a frame back to back, so
   * a frame still incomplete twice its line time (plus `cutShortAfterMs`)
   * after it began was no frame: noise passed its header's CRC-8 (1 in 256)
   * and declared a length that the frames behind it would fill, each of them
   * swallowed, for seconds on a line that carries only heartbeats. Bytes that
   * begin a frame drop it then, as they drop a frame cut short. Off when
   * unset; needs `cutShortAfterMs` and the time passed to `push`.
   */
  byteTimeMs?: number;
}

/** Counters since the decoder was created (reset() keeps them). */
export interface FrameDecoderStats {
  /** Frames delivered. */
  frames: number;
  /** Bytes discarded: garbage, one byte for every rejected frame candidate, frames cut short. */
  bytesSkipped: number;
  headerErrors: number;
  crcErrors: number;
  oversize: number;
}

function checkPayloadMaxBytes(payloadMaxBytes: number): void {
  if (
    !Number.isInteger(payloadMaxBytes) ||
    payloadMaxBytes < 0 ||
    payloadMaxBytes > FRAME_PAYLOAD_LIMIT_MAX_BYTES
  ) {
    throw new WireArgumentError({
      code: 'bad-option',
      option: 'payloadMaxBytes',
      value: payloadMaxBytes,
    });
  }
}

/** Wraps a payload in a frame (a new array, payload copied). */
export function encodeFrame(
  payload: Uint8Array,
  payloadMaxBytes: number = FRAME_PAYLOAD_MAX_BYTES,
): Uint8Array {
  checkPayloadMaxBytes(payloadMaxBytes);
  const length = payload.length;
  if (length > payloadMaxBytes) {
    throw new FrameError({ code: 'oversize', bytes: length, max: payloadMaxBytes });
  }
  const frame = new Uint8Array(length + FRAME_OVERHEAD_BYTES);
  frame[0] = FRAME_SYNC_BYTE;
  frame[1] = length & 0xff;
  frame[2] = length >>> 8;
  frame[3] = crc8(frame, 0, 3);
  frame.set(payload, FRAME_HEADER_BYTES);
  writeUint32LittleEndian(frame, FRAME_HEADER_BYTES + length, crc32c(payload));
  return frame;
}

function writeUint32LittleEndian(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = value >>> 24;
}

function readUint32LittleEndian(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] as number) |
      ((bytes[offset + 1] as number) << 8) |
      ((bytes[offset + 2] as number) << 16) |
      ((bytes[offset + 3] as number) << 24)) >>>
    0
  );
}

/** A byte's time on a UART line at `baud`, 8N1 (ten bits a byte). */
export function byteTimeMs(baud: number): number {
  return 10_000 / baud;
}

/** Whether `bytes` begin with a frame's header (a sync byte and its CRC-8); fewer than a header's bytes that start with a sync byte may. */
function beginsFrame(bytes: Uint8Array): boolean {
  if (bytes[0] !== FRAME_SYNC_BYTE) return false;
  return bytes.length < FRAME_HEADER_BYTES || crc8(bytes, 0, 3) === bytes[3];
}

/** The payload length the header at `start` declares. */
function declaredLength(bytes: Uint8Array, start: number): number {
  return (bytes[start + 1] as number) | ((bytes[start + 2] as number) << 8);
}

/**
 * Turns a byte stream, pushed in chunks of any size, into frames. On a bad
 * header, a bad CRC or an oversize length it drops one byte and searches for
 * the next SYNC, so a good frame after a cut one is still found.
 *
 * Memory is one buffer that grows, doubling, to the longest frame seen (at
 * most payloadMaxBytes + FRAME_OVERHEAD_BYTES): a microcontroller's three
 * decoders would otherwise hold 12 KiB for frames of a hundred bytes.
 * After a frame cut mid-payload, the frames behind it come out only once
 * enough bytes arrived to fill the cut frame's declared length (at most
 * payloadMaxBytes + overhead bytes later), unless `cutShortAfterMs` is set
 * and the line fell silent that long after the cut, or `byteTimeMs` is set
 * and twice the cut frame's line time has passed: then with the next frame.
 */
export class FrameDecoder {
  readonly #payloadMaxBytes: number;
  readonly #cutShortAfterMs: number;
  readonly #byteTimeMs: number;
  /** When the last bytes came (for `cutShortAfterMs`). */
  #lastBytesAtMs = 0;
  /** When the bytes at the buffer's start came: the frame they begin is overdue after its line time. */
  #startedAtMs = 0;
  /** Holds at most one frame: bytes [start, end) are buffered, not yet consumed. */
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;
  /** An error event was already reported for the bytes being dropped now; cleared by a good frame. */
  #discarding = false;
  readonly #counters: FrameDecoderStats = {
    frames: 0,
    bytesSkipped: 0,
    headerErrors: 0,
    crcErrors: 0,
    oversize: 0,
  };

  constructor(options: FrameDecoderOptions = {}) {
    this.#payloadMaxBytes = options.payloadMaxBytes ?? FRAME_PAYLOAD_MAX_BYTES;
    this.#cutShortAfterMs = options.cutShortAfterMs ?? Number.POSITIVE_INFINITY;
    this.#byteTimeMs = options.byteTimeMs ?? Number.POSITIVE_INFINITY;
    checkPayloadMaxBytes(this.#payloadMaxBytes);
    this.#buffer = new Uint8Array(
      Math.min(FIRST_BUFFER_BYTES, this.#payloadMaxBytes + FRAME_OVERHEAD_BYTES),
    );
  }

  /** Live counters (the same object on every read). */
  get stats(): Readonly<FrameDecoderStats> {
    return this.#counters;
  }

  /** Bytes held waiting for the rest of a frame; never more than payloadMaxBytes + overhead. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * Feeds bytes from the stream, received at `nowMs` (needed only with
   * `cutShortAfterMs`); returns the frames and errors they completed, in stream order.
   */
  push(bytes: Uint8Array, nowMs = 0): FrameEvent[] {
    const events: FrameEvent[] = [];
    if (bytes.length > 0) {
      if (this.#end > this.#start && beginsFrame(bytes)) {
        const cut = this.#cutShort(nowMs);
        if (cut !== null) {
          this.#counters.bytesSkipped += this.#end - this.#start;
          this.reset();
          events.push({ kind: 'error', error: new FrameError(cut) });
        }
      }
      if (this.#end === this.#start) this.#startedAtMs = nowMs;
      this.#lastBytesAtMs = nowMs;
    }
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#end === this.#buffer.length) this.#makeRoom();
      const buffer = this.#buffer;
      const count = Math.min(buffer.length - this.#end, bytes.length - offset);
      buffer.set(
        count === bytes.length ? bytes : bytes.subarray(offset, offset + count),
        this.#end,
      );
      this.#end += count;
      offset += count;
      this.#parse(events, nowMs);
    }
    return events;
  }

  /** Why the frame the buffer holds the start of is no frame, now that bytes beginning one came; null if it may be. */
  #cutShort(nowMs: number): ReasonOf<'cut-short' | 'overdue'> | null {
    if (nowMs - this.#lastBytesAtMs > this.#cutShortAfterMs) return { code: 'cut-short' };
    const buffered = this.#end - this.#start;
    const declared = buffered < FRAME_HEADER_BYTES ? 0 : declaredLength(this.#buffer, this.#start);
    const frameBytes = declared + FRAME_OVERHEAD_BYTES;
    const dueMs = 2 * frameBytes * this.#byteTimeMs + this.#cutShortAfterMs;
    return nowMs - this.#startedAtMs > dueMs ? { code: 'overdue', bytes: declared } : null;
  }

  /**
   * Room for more bytes in a full buffer: a frame's start is moved to the
   * front, or, when it is there already, the buffer doubles (parse() never
   * leaves a full buffer of the largest size starting at 0).
   */
  #makeRoom(): void {
    const buffer = this.#buffer;
    if (this.#start > 0) {
      buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
      return;
    }
    const grown = new Uint8Array(
      Math.min(buffer.length * 2, this.#payloadMaxBytes + FRAME_OVERHEAD_BYTES),
    );
    grown.set(buffer);
    this.#buffer = grown;
  }

  /** Drops buffered bytes (e.g. the link was reopened). Counters are kept. */
  reset(): void {
    this.#start = 0;
    this.#end = 0;
    this.#discarding = false;
  }

  #parse(events: FrameEvent[], nowMs: number): void {
    const buffer = this.#buffer;
    const end = this.#end;
    let start = this.#start;
    while (start < end) {
      if (buffer[start] !== FRAME_SYNC_BYTE) {
        let next = start + 1;
        while (next < end && buffer[next] !== FRAME_SYNC_BYTE) next++;
        this.#skipGarbage(next - start, events);
        start = next;
        continue;
      }
      if (end - start < FRAME_HEADER_BYTES) break;
      if (crc8(buffer, start, start + 3) !== buffer[start + 3]) {
        this.#counters.headerErrors++;
        this.#rejectCandidate(events, { code: 'bad-header' });
        start++;
        continue;
      }
      const length = declaredLength(buffer, start);
      if (length > this.#payloadMaxBytes) {
        this.#counters.oversize++;
        this.#rejectCandidate(events, {
          code: 'oversize',
          bytes: length,
          max: this.#payloadMaxBytes,
        });
        start++;
        continue;
      }
      const payloadStart = start + FRAME_HEADER_BYTES;
      const payloadEnd = payloadStart + length;
      if (payloadEnd + FRAME_TRAILER_BYTES > end) break;
      if (crc32c(buffer, payloadStart, payloadEnd) !== readUint32LittleEndian(buffer, payloadEnd)) {
        this.#counters.crcErrors++;
        this.#rejectCandidate(events, { code: 'bad-crc', bytes: length });
        start++;
        continue;
      }
      // A copy: the buffer is overwritten by the next bytes.
      events.push({ kind: 'frame', payload: buffer.slice(payloadStart, payloadEnd) });
      this.#counters.frames++;
      this.#discarding = false;
      start = payloadEnd + FRAME_TRAILER_BYTES;
    }
    if (start === end) {
      this.#start = 0;
      this.#end = 0;
    } else {
      if (start !== this.#start) this.#startedAtMs = nowMs;
      this.#start = start;
    }
  }

  #skipGarbage(byteCount: number, events: FrameEvent[]): void {
    this.#counters.bytesSkipped += byteCount;
    if (this.#discarding) return;
    this.#discarding = true;
    events.push({
      kind: 'error',
      error: new FrameError({ code: 'garbage' }),
    });
  }

  /** The candidate frame at the start of the buffer is bad: report it; the caller drops its SYNC byte. */
  #rejectCandidate(
    events: FrameEvent[],
    why: ReasonOf<'bad-header' | 'bad-crc' | 'oversize'>,
  ): void {
    this.#counters.bytesSkipped++;
    this.#discarding = true;
    events.push({ kind: 'error', error: new FrameError(why) });
  }
}
