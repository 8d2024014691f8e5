/**
 * A durable region held in the host process's memory, with flash rules: a
 * write programs bits (new = old AND bytes) in whole write units, an erase
 * sets a whole block to 0xff. It outlives the core that uses it, so where a
 * power pull drops the core (the deterministic simulator, core-pair tests)
 * the store keeps its bytes. Power can be cut at any operation: the
 * operation is torn (a write programs only its first half, an erase leaves
 * its block half erased), `onPowerCut` runs, and, where that returns control
 * by throwing, every later operation throws too, until `powerOn`.
 */
import type { DurableRegion, StoreGeometry } from '../firmware/hal.ts';

const ERASED = 0xff;

/** A small store for tests and the simulator: 8 blocks of 4 KiB, 16-byte writes, 100,000 cycles. */
export const SMALL_STORE: StoreGeometry = {
  eraseBlockBytes: 4096,
  writeBytes: 16,
  blockCount: 8,
  enduranceCycles: 100_000,
};

/** A power cut inside a store operation (the default `onPowerCut`). */
export class PowerCutError extends Error {
  readonly powerCut = true;
  readonly code = 'power-cut';
  override name = 'PowerCutError';
}

export class RetentiveMemory implements DurableRegion {
  readonly bytes: Uint8Array;
  /** Erase count of each block (wear). */
  readonly erases: number[];
  operations = 0;
  /** Operation number (1-based, counted from now on) at which power is cut; 0 for never. */
  cutAtOperation = 0;
  #off = false;

  constructor(
    readonly geometry: StoreGeometry = SMALL_STORE,
    readonly onPowerCut: () => never = () => {
      throw new PowerCutError('power cut during a store operation');
    },
  ) {
    this.bytes = new Uint8Array(geometry.eraseBlockBytes * geometry.blockCount).fill(ERASED);
    this.erases = new Array<number>(geometry.blockCount).fill(0);
  }

  /** Power is back after a cut: operations work again (and the next cut is disarmed). */
  powerOn(): void {
    this.#off = false;
    this.cutAtOperation = 0;
    this.operations = 0;
  }

  read(offset: number, length: number): Uint8Array {
    this.#check(offset, length);
    return this.bytes.slice(offset, offset + length);
  }

  write(offset: number, bytes: Uint8Array): void {
    const unit = this.geometry.writeBytes;
    this.#check(offset, bytes.length);
    if (offset % unit !== 0 || bytes.length % unit !== 0) {
      throw argumentError(
        `write of ${bytes.length} bytes at ${offset} is off the ${unit}-byte write unit`,
      );
    }
    const torn = this.#operation();
    const count = torn ? Math.floor(bytes.length / 2) : bytes.length;
    for (let i = 0; i < count; i++) {
      const at = offset + i;
      this.bytes[at] = (this.bytes[at] as number) & (bytes[i] as number);
    }
    if (torn) this.onPowerCut();
  }

  erase(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.geometry.blockCount) {
      throw argumentError(`no erase block ${block} (0..${this.geometry.blockCount - 1})`);
    }
    const torn = this.#operation();
    const size = this.geometry.eraseBlockBytes;
    const start = block * size;
    this.bytes.fill(ERASED, start, start + (torn ? Math.floor(size / 2) : size));
    this.erases[block] = (this.erases[block] ?? 0) + 1;
    if (torn) this.onPowerCut();
  }

  /** Counts an operation; true when power is cut in the middle of it. */
  #operation(): boolean {
    if (this.#off) this.onPowerCut();
    this.operations += 1;
    if (this.cutAtOperation !== 0 && this.operations >= this.cutAtOperation) {
      this.#off = true;
      return true;
    }
    return false;
  }

  #check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw argumentError(`store access ${offset}+${length} outside 0..${this.bytes.length}`);
    }
  }
}

function argumentError(message: string): Error {
  return Object.assign(new Error(message), { code: 'hal-argument' });
}
