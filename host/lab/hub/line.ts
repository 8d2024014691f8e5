/**
 * One direction of a simulated cable in real time: the sender's transmit
 * buffer, the line (8N1, a byte takes 10 bit times) and the propagation
 * delay. Time is passed in (`performance.now()` from the hub's pacer), so
 * this class holds no timer and is easy to drive from tests.
 *
 * Faults are the cable fault model (../cable-faults.ts), which the
 * deterministic simulator's `Line` carries too: loss, corruption and
 * duplication are drawn per write (a duplicate follows its original at
 * once); a cut drops the bytes that leave the sender while it is in place;
 * the delay is added to every byte.
 */
import { concatBytes, faultedWrite, type LineFaults, noFaults } from '../cable-faults.ts';

/** Bytes of one write waiting in the sender's buffer or on the line. */
interface Segment {
  /** What will arrive (after loss, corruption, duplication). */
  readonly data: Uint8Array;
  /** Bytes the sender wrote: what the line is busy for. */
  readonly lineBytes: number;
  readonly startMs: number;
  /** Bytes of `data` already handed on. */
  sentData: number;
  /** Of `lineBytes`, already on the wire. */
  sentLine: number;
}

interface InFlight {
  readonly data: Uint8Array;
  readonly atMs: number;
}

export interface DirectionCounters {
  /** Bytes the sender wrote. */
  readonly bytesWritten: number;
  /** Bytes handed to the receiving port. */
  readonly bytesDelivered: number;
  /** Bytes lost: cut, loss fault, nobody listening, or the sender's buffer lost with its power. */
  readonly bytesDropped: number;
  /** Bytes written and not yet sent (the sender's transmit buffer). */
  readonly backlog: number;
}

export class Direction {
  faults: LineFaults = noFaults();
  /** Bytes still to carry before the cable is unplugged (an armed cut), or null. */
  unplugAfterBytes: number | null = null;
  readonly bytesPerMs: number;
  #segments: Segment[] = [];
  #inFlight: InFlight[] = [];
  #busyUntilMs = 0;
  #written = 0;
  #settled = 0;
  #delivered = 0;
  #dropped = 0;

  constructor(
    readonly baud: number,
    readonly random: () => number,
  ) {
    this.bytesPerMs = baud / 10_000;
  }

  /** Nothing waiting, on the line or in flight: the pacer may sleep. */
  get idle(): boolean {
    return this.#segments.length === 0 && this.#inFlight.length === 0;
  }

  /** Bytes ever written. Marks for acknowledgements are taken on this count. */
  get written(): number {
    return this.#written;
  }

  /** Bytes written that have left the sender's buffer (sent, or lost with it). */
  get settled(): number {
    return this.#settled;
  }

  counters(): DirectionCounters {
    return {
      bytesWritten: this.#written,
      bytesDelivered: this.#delivered,
      bytesDropped: this.#dropped,
      backlog: this.#written - this.#settled,
    };
  }

  /** The sender writes: the bytes queue behind what is still to send. */
  write(bytes: Uint8Array, nowMs: number): void {
    if (bytes.length === 0) return;
    const startMs = Math.max(nowMs, this.#busyUntilMs);
    this.#busyUntilMs = startMs + bytes.length / this.bytesPerMs;
    this.#written += bytes.length;
    const data = this.#applyWriteFaults(bytes);
    this.#dropped += Math.max(0, bytes.length - data.length);
    this.#segments.push({ data, lineBytes: bytes.length, startMs, sentData: 0, sentLine: 0 });
  }

  /**
   * Moves time to `nowMs`: bytes whose last bit has left the sender go on the
   * wire (or are dropped by a cut), bytes whose delay has passed are handed to
   * `deliver`, which returns false when no port is there to receive them.
   */
  advance(nowMs: number, deliver: (bytes: Uint8Array) => boolean): void {
    while (this.#segments.length > 0) {
      const segment = this.#segments[0] as Segment;
      const lineDone = Math.min(
        segment.lineBytes,
        Math.floor((nowMs - segment.startMs) * this.bytesPerMs + 1e-9),
      );
      if (lineDone <= segment.sentLine) break;
      const dataDone =
        lineDone === segment.lineBytes
          ? segment.data.length
          : Math.floor((segment.data.length * lineDone) / segment.lineBytes);
      const chunk = segment.data.subarray(segment.sentData, dataDone);
      this.#settled += lineDone - segment.sentLine;
      segment.sentLine = lineDone;
      segment.sentData = dataDone;
      if (chunk.length > 0) {
        if (this.faults.cut) this.#dropped += chunk.length;
        else this.#carry(chunk, nowMs);
      }
      if (lineDone < segment.lineBytes) break;
      this.#segments.shift();
    }
    while (this.#inFlight.length > 0) {
      const head = this.#inFlight[0] as InFlight;
      if (head.atMs > nowMs) break;
      this.#inFlight.shift();
      if (deliver(head.data)) this.#delivered += head.data.length;
      else this.#dropped += head.data.length;
    }
  }

  /**
   * Drops what the sender has not sent yet (its transmit buffer): on a flush,
   * or when it loses power. Bytes already on the wire still arrive. Call
   * `advance` first so that "not sent yet" is measured at `nowMs`.
   */
  discardUnsent(nowMs: number): void {
    for (const segment of this.#segments) {
      this.#settled += segment.lineBytes - segment.sentLine;
      this.#dropped += segment.data.length - segment.sentData;
    }
    this.#segments = [];
    this.#busyUntilMs = Math.min(this.#busyUntilMs, nowMs);
  }

  /** Puts bytes on the wire; an armed unplug lets through only its count, then cuts. */
  #carry(chunk: Uint8Array, nowMs: number): void {
    let bytes = chunk;
    if (this.unplugAfterBytes !== null) {
      bytes = chunk.subarray(0, this.unplugAfterBytes);
      this.#dropped += chunk.length - bytes.length;
      this.unplugAfterBytes -= bytes.length;
      if (this.unplugAfterBytes === 0) this.faults = { ...this.faults, cut: true };
    }
    if (bytes.length > 0) this.#inFlight.push({ data: bytes, atMs: nowMs + this.faults.delayMs });
  }

  #applyWriteFaults(bytes: Uint8Array): Uint8Array {
    const { data, twice } = faultedWrite(bytes, this.faults, this.random);
    // The copy follows the original at once, within the same line time.
    return twice ? concatBytes(data, data) : data;
  }
}
