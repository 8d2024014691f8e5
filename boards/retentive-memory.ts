/**
 * A durable region held in the host process's memory, with the flash rules
 * of flash-region.ts. It outlives the core that uses it, so where a power
 * pull drops the core (the deterministic simulator, core-pair tests) the
 * store keeps its bytes.
 */
import type { StoreGeometry } from '../firmware/hal.ts';
import { ERASED, FlashRegion, regionBytes, throwPowerCut } from './flash-region.ts';

export { PowerCutError } from './flash-region.ts';

/** A small store for tests and the simulator: 8 blocks of 4 KiB, 16-byte writes, 100,000 cycles. */
export const SMALL_STORE: StoreGeometry = {
  eraseBlockBytes: 4096,
  writeBytes: 16,
  blockCount: 8,
  enduranceCycles: 100_000,
};

export class RetentiveMemory extends FlashRegion {
  /** The region's bytes, as they rest (tests read and corrupt them directly). */
  readonly bytes: Uint8Array;

  constructor(geometry: StoreGeometry = SMALL_STORE, onPowerCut: () => never = throwPowerCut) {
    const bytes = new Uint8Array(regionBytes(geometry)).fill(ERASED);
    super(
      geometry,
      {
        read: (offset, length) => bytes.slice(offset, offset + length),
        store: (offset, data) => bytes.set(data, offset),
      },
      onPowerCut,
    );
    this.bytes = bytes;
  }
}
