/**
 * The flash rules of a durable region (firmware/hal.ts DurableRegion), once,
 * over any medium that holds its bytes: a write programs bits (new = old AND
 * bytes) in whole write units, an erase sets a whole block to 0xff. The
 * medium only stores what it is given (memory for the simulator, a file for
 * the Node boards). Power can be cut at any operation: the operation is torn
 * (a write programs only a prefix of its bytes, an erase leaves the rest of
 * its block as it was; half by default, `tornShare`), then `onPowerCut` runs. On a board process it ends the process
 * (the power is gone); where it returns control by throwing (in-process
 * tests), every later operation throws too, until `powerOn`. An operation
 * can also fail with the power on, as worn flash or a file error does
 * (`failAtOperation`): torn the same way, it throws StoreFaultError.
 */
import type { DurableRegion, StoreGeometry } from '../firmware/hal.ts';

export const ERASED = 0xff;

/** Where a region's bytes rest. It applies no rule: the region does. */
export interface RegionMedium {
  /** `length` bytes at `offset`, a fresh copy. */
  read(offset: number, length: number): Uint8Array;
  /** Stores `bytes` at `offset` as they are; durable when it returns. */
  store(offset: number, bytes: Uint8Array): void;
}

/** Bytes of a region with this geometry. */
export function regionBytes(geometry: StoreGeometry): number {
  return geometry.eraseBlockBytes * geometry.blockCount;
}

/** A geometry as plain data (its four numbers), to hand across a boundary. */
export function geometryData(geometry: StoreGeometry): StoreGeometry {
  const { eraseBlockBytes, writeBytes, blockCount, enduranceCycles } = geometry;
  return { eraseBlockBytes, writeBytes, blockCount, enduranceCycles };
}

/** A power cut inside a store operation (the in-process default `onPowerCut`). */
export class PowerCutError extends Error {
  readonly powerCut = true;
  readonly code = 'power-cut';
  override name = 'PowerCutError';
}

/** A store operation that failed with the power on (worn flash, a file error): a prefix of it may have landed. */
export class StoreFaultError extends Error {
  readonly code = 'store-fault';
  override name = 'StoreFaultError';
}

export const throwPowerCut = (): never => {
  throw new PowerCutError('power cut during a store operation');
};

export class FlashRegion implements DurableRegion {
  /** Store operations (writes and erases) since power-on. */
  operations = 0;
  /** Operation number (1-based, counted like `operations`) at which power is cut; 0 for never. */
  cutAtOperation = 0;
  /** Erases since power-on (counted in `operations` too). */
  erasesDone = 0;
  /** Erase number (1-based, counted like `erasesDone`) at which power is cut; 0 for never. */
  cutAtErase = 0;
  /** Operation number (1-based, counted like `operations`) that fails with the power on, once; 0 for never. */
  failAtOperation = 0;
  /** The next read fails (a file-backed store's I/O error), once; it outlives a power cycle. */
  failNextRead = false;
  /** Every read fails while set: a store whose reads have died. */
  readsFail = false;
  /** Operations and reads that failed with the power on since the region was made. */
  failures = 0;
  /** What the last failure was. */
  lastFailure: 'read' | 'write' | 'erase' | null = null;
  /** Share of the cut or failed operation's bytes that are done when it stops (a prefix, rounded down). */
  tornShare = 0.5;
  #off = false;

  constructor(
    readonly geometry: StoreGeometry,
    readonly medium: RegionMedium,
    readonly onPowerCut: () => never = throwPowerCut,
  ) {}

  get size(): number {
    return regionBytes(this.geometry);
  }

  /** Power is back after a cut: operations work again (and the next cut is disarmed). */
  powerOn(): void {
    this.#off = false;
    this.cutAtOperation = 0;
    this.operations = 0;
    this.cutAtErase = 0;
    this.erasesDone = 0;
    this.failAtOperation = 0;
  }

  read(offset: number, length: number): Uint8Array {
    this.#check(offset, length);
    if (this.failNextRead || this.readsFail) {
      this.failNextRead = false;
      this.failures += 1;
      this.lastFailure = 'read';
      throw new StoreFaultError(`store read of ${length} bytes at ${offset} failed`);
    }
    return this.medium.read(offset, length);
  }

  write(offset: number, bytes: Uint8Array): void {
    const unit = this.geometry.writeBytes;
    this.#check(offset, bytes.length);
    if (offset % unit !== 0 || bytes.length % unit !== 0) {
      throw argumentError(
        `write of ${bytes.length} bytes at ${offset} is off the ${unit}-byte write unit`,
      );
    }
    const stop = this.#operation();
    const count = stop === null ? bytes.length : Math.floor(bytes.length * this.tornShare);
    const programmed = this.medium.read(offset, count);
    for (let i = 0; i < count; i++) {
      programmed[i] = (programmed[i] as number) & (bytes[i] as number);
    }
    this.medium.store(offset, programmed);
    this.#stop(stop, 'write');
  }

  erase(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.geometry.blockCount) {
      throw argumentError(`no erase block ${block} (0..${this.geometry.blockCount - 1})`);
    }
    const stop = this.#operation(true);
    const size = this.geometry.eraseBlockBytes;
    this.medium.store(
      block * size,
      new Uint8Array(stop === null ? size : Math.floor(size * this.tornShare)).fill(ERASED),
    );
    this.#stop(stop, 'erase');
  }

  /** Counts an operation; how it stops midway (power cut, failure), or null when it completes. */
  #operation(erase = false): 'cut' | 'fault' | null {
    if (this.#off) this.onPowerCut();
    this.operations += 1;
    if (erase) this.erasesDone += 1;
    const atErase = erase && this.cutAtErase !== 0 && this.erasesDone >= this.cutAtErase;
    if (atErase || (this.cutAtOperation !== 0 && this.operations >= this.cutAtOperation)) {
      this.#off = true;
      return 'cut';
    }
    if (this.failAtOperation !== 0 && this.operations >= this.failAtOperation) {
      this.failAtOperation = 0;
      return 'fault';
    }
    return null;
  }

  #stop(stop: 'cut' | 'fault' | null, operation: 'write' | 'erase'): void {
    if (stop === 'cut') this.onPowerCut();
    if (stop === 'fault') {
      this.failures += 1;
      this.lastFailure = operation;
      throw new StoreFaultError(`store ${operation} (operation ${this.operations}) failed`);
    }
  }

  #check(offset: number, length: number): void {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.size
    ) {
      throw argumentError(`store access ${offset}+${length} outside 0..${this.size}`);
    }
  }
}

function argumentError(message: string): Error {
  return Object.assign(new Error(message), { code: 'hal-argument' });
}
