/**
 * The boot ROM's record of which slot runs, kept in NVM as two copies with a
 * sequence number and a CRC: a power cut while one copy is written leaves
 * the other intact (the newest valid copy wins).
 */
import { crc32c } from '../../firmware/wire/crc32c.ts';
import type { FlashFile } from './flash-file.ts';

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

const RECORD_BYTES = 128;

export function readBootState(flash: FlashFile): BootState {
  let best: { seq: number; state: BootState } | null = null;
  for (const copy of [0, 1]) {
    const record = decode(flash.read(flash.nvmOffset + copy * RECORD_BYTES, RECORD_BYTES));
    if (record !== null && (best === null || record.seq > best.seq)) best = record;
  }
  return best?.state ?? INITIAL_BOOT_STATE;
}

export function writeBootState(flash: FlashFile, state: BootState): void {
  let seq = 0;
  let oldestCopy = 0;
  const seqs = [0, 1].map(
    (copy) => decode(flash.read(flash.nvmOffset + copy * RECORD_BYTES, RECORD_BYTES))?.seq ?? -1,
  );
  seq = Math.max(...seqs) + 1;
  oldestCopy = (seqs[0] ?? -1) <= (seqs[1] ?? -1) ? 0 : 1;
  const text = new TextEncoder().encode(JSON.stringify({ seq, ...state }));
  const record = new Uint8Array(RECORD_BYTES).fill(0xff);
  const view = new DataView(record.buffer);
  view.setUint16(0, text.length, true);
  record.set(text, 2);
  view.setUint32(RECORD_BYTES - 4, crc32c(record, 0, RECORD_BYTES - 4), true);
  const offset = flash.nvmOffset + oldestCopy * RECORD_BYTES;
  flash.erase(offset, RECORD_BYTES);
  flash.write(offset, record);
}

function decode(record: Uint8Array): { seq: number; state: BootState } | null {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (view.getUint32(RECORD_BYTES - 4, true) !== crc32c(record, 0, RECORD_BYTES - 4)) return null;
  const length = view.getUint16(0, true);
  if (length > RECORD_BYTES - 6) return null;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(record.subarray(2, 2 + length))) as Record<
      string,
      unknown
    >;
    if (typeof parsed.seq !== 'number') return null;
    return {
      seq: parsed.seq,
      state: {
        bootCount: Number(parsed.bootCount) || 0,
        active: parsed.active === 1 ? 1 : 0,
        trial: parsed.trial === true,
        tryOther: parsed.tryOther === true,
      },
    };
  } catch {
    return null;
  }
}
