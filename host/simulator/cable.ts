/**
 * One simulated interconnect cable: two directions of a UART (8N1, so a byte
 * takes 10 bit times) plus the DTR->DSR wire each way. Bytes are paced at the
 * baud rate and arrive in order; faults (host/lab/cable-faults.ts, the
 * lab's cables carry the same) are set per direction and take effect at
 * the write.
 */
import { byteTimeMs } from '../../firmware/wire/frame.ts';
import { faultedWrite, type LineFaults, noFaults } from '../lab/cable-faults.ts';
import type { EventQueue } from './event-queue.ts';

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
    return byteTimeMs(this.baud);
  }

  write(bytes: Uint8Array): void {
    const now = this.queue.now;
    const start = Math.max(now, this.#busyUntilMs);
    this.#busyUntilMs = start + bytes.length * this.byteTimeMs;
    this.bytesCarried += bytes.length;
    const f = this.faults;
    if (f.cut) return;
    const { data, twice } = faultedWrite(bytes, f, this.random);
    // Bytes trickle in as the UART receives them, a slice at a time (a short write is one slice).
    const byteTimeMs = this.byteTimeMs;
    for (let offset = 0; offset < data.length; offset += SLICE_BYTES) {
      const slice = data.length <= SLICE_BYTES ? data : data.subarray(offset, offset + SLICE_BYTES);
      const arrive = start + (offset + slice.length) * byteTimeMs + f.delayMs;
      this.queue.at(arrive, () => this.deliver(slice));
    }
    if (twice) {
      const arrive = this.#busyUntilMs + f.delayMs;
      this.queue.at(arrive + data.length * this.byteTimeMs, () => this.deliver(data));
    }
  }
}
