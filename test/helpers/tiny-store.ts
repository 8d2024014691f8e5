import type { StoreGeometry } from '../../firmware/hal.ts';

/** 4 blocks of 2 KiB: two 4 KiB areas, so a snapshot gets about 1 KiB: a store a test fills in a few hundred requests. */
export const TINY_STORE: StoreGeometry = {
  eraseBlockBytes: 2048,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};
