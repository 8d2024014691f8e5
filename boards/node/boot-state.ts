/**
 * The boot ROM's record of which slot runs, kept in NVM as a double-buffered
 * record (nvm-record.ts): a power cut while one copy is written leaves the
 * other intact (the newest valid copy wins).
 */
import type { FlashFile } from './flash-file.ts';
import { NvmAreas, readNvmRecord, writeNvmRecord } from './nvm-record.ts';

export interface BootState {
  /** Boots so far; the image's incarnation. */
  readonly bootCount: number;
  /** The slot that runs. */
  readonly active: 0 | 1;
  /** The active slot runs on trial: a reset before confirmation reverts to the other. */
  readonly trial: boolean;
  /** The next boot tries the other slot on trial. */
  readonly tryOther: boolean;
}

export const INITIAL_BOOT_STATE: BootState = {
  bootCount: 0,
  active: 0,
  trial: false,
  tryOther: false,
};

export function readBootState(flash: FlashFile): BootState {
  const fields = readNvmRecord(flash, NvmAreas.bootState);
  if (fields === null) return INITIAL_BOOT_STATE;
  return {
    bootCount: Number(fields.bootCount) || 0,
    active: fields.active === 1 ? 1 : 0,
    trial: fields.trial === true,
    tryOther: fields.tryOther === true,
  };
}

export function writeBootState(flash: FlashFile, state: BootState): void {
  writeNvmRecord(flash, NvmAreas.bootState, { ...state });
}
