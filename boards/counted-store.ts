/**
 * A durable region that counts what reaches it: program operations, bytes
 * programmed and the erases of each block. A board wraps its store in one at
 * power-on, so `status` and the cost figures of `tandem bench` read the
 * store's own operations as they happened (the log's writes, compactions
 * and wear levelling included), never an estimate. Flash keeps no erase
 * counter of its own here: the counts start at power-on.
 */
import type { DurableRegion, StoreGeometry } from '../firmware/hal.ts';

/** A store's operations since its board powered on. */
export interface StoreWear {
  /** Program operations (each is one log record: a group commit or a snapshot). */
  readonly writes: number;
  readonly bytesWritten: number;
  /** Erases of each block, block 0 first. */
  readonly erasesByBlock: readonly number[];
}

export class CountedStore implements DurableRegion {
  #writes = 0;
  #bytesWritten = 0;
  readonly #erases: number[];

  constructor(readonly inner: DurableRegion) {
    this.#erases = new Array<number>(inner.geometry.blockCount).fill(0);
  }

  get geometry(): StoreGeometry {
    return this.inner.geometry;
  }

  read(offset: number, length: number): Uint8Array {
    return this.inner.read(offset, length);
  }

  /** Counted once the operation returned: a refused one changed nothing, a torn one ends the power. */
  write(offset: number, bytes: Uint8Array): void {
    this.inner.write(offset, bytes);
    this.#writes += 1;
    this.#bytesWritten += bytes.length;
  }

  erase(block: number): void {
    this.inner.erase(block);
    this.#erases[block] = (this.#erases[block] ?? 0) + 1;
  }

  /** The counts now, a copy. */
  wear(): StoreWear {
    return {
      writes: this.#writes,
      bytesWritten: this.#bytesWritten,
      erasesByBlock: [...this.#erases],
    };
  }
}

/** Erases of all blocks together. */
export function totalErases(wear: StoreWear): number {
  return wear.erasesByBlock.reduce((sum, n) => sum + n, 0);
}
