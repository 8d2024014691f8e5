/**
 * One simulated interconnect cable: two directions of a UART (8N1, so a byte
 * takes 10 bit times) plus the DTR->DSR wire each way. Bytes are paced at the
 * baud rate and arrive in order; faults are set per direction.
 */
import type { EventQueue } from './event-queue.ts';

export interface LineFaults {
  /** Data in this direction is cut (one-way or, with the other direction, two-way). */
  cut: boolean;
  /** Chance that a write loses a random run of its bytes. */
  lossRate: number;
  /** Chance that a write has one byte flipped. */
  corruptRate: number;
  /** Chance that a write arrives twice. */
  duplicateRate: number;
  /** Extra latency added to every write. */
  delayMs: number;
}

export function noFaults(): LineFaults {
  return { cut: false, lossRate: 0, corruptRate: 0, duplicateRate: 0, delayMs: 0 };
}

/** Bytes delivered together: a receive FIFO's worth. */
const SLICE_BYTES = 64;

/** One direction of the cable. */
export class Line {
  faults: LineFaults = noFaults();
  #busyUntilMs = 0;
  bytesCarried = 0;

  constructor(
    readonly queue: EventQueue,
    readonly baud: number,
    readonly random: () => number,
    readonly deliver: (bytes: Uint8Array) => void,
  ) {}

  get byteTimeMs(): number {
    return 10_000 / this.baud;
  }

  write(bytes: Uint8Array): void {
    const now = this.queue.now;
    const start = Math.max(now, this.#busyUntilMs);
    this.#busyUntilMs = start + bytes.length * this.byteTimeMs;
    this.bytesCarried += bytes.length;
    const f = this.faults;
    if (f.cut) return;
    let data = bytes;
    if (f.lossRate > 0 && this.random() < f.lossRate) {
      const from = Math.floor(this.random() * data.length);
      const to = from + 1 + Math.floor(this.random() * (data.length - from));
      data = concat(data.subarray(0, from), data.subarray(to));
    }
    if (f.corruptRate > 0 && this.random() < f.corruptRate && data.length > 0) {
      data = data.slice();
      const at = Math.floor(this.random() * data.length);
      data[at] = (data[at] ?? 0) ^ (1 << Math.floor(this.random() * 8));
    }
    // Bytes trickle in as the UART receives them, a slice at a time (a short write is one slice).
    const byteTimeMs = this.byteTimeMs;
    for (let offset = 0; offset < data.length; offset += SLICE_BYTES) {
      const slice = data.length <= SLICE_BYTES ? data : data.subarray(offset, offset + SLICE_BYTES);
      const arrive = start + (offset + slice.length) * byteTimeMs + f.delayMs;
      this.queue.at(arrive, () => this.deliver(slice));
    }
    const arrive = this.#busyUntilMs + f.delayMs;
    if (f.duplicateRate > 0 && this.random() < f.duplicateRate) {
      this.queue.at(arrive + data.length * this.byteTimeMs, () => this.deliver(data));
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
