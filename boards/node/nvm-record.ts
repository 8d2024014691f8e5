/**
 * A small record in NVM kept as two copies, each with a sequence number and a
 * CRC: a write erases and rewrites the older copy only, so a power cut while
 * one copy is written leaves the other intact, and a read takes the newest
 * valid copy. The boot state and the image upload progress each have one.
 *
 * A copy is [length u16 LE][JSON with "seq"][0xff...][crc32c u32 LE], of its area's copy size.
 */
import { crc32c } from '../../firmware/wire/crc32c.ts';
import type { FlashFile } from './flash-file.ts';

/** Where a record's two copies live: an offset into NVM, and the bytes of one copy. */
export interface NvmArea {
  readonly offset: number;
  /** A record's JSON must fit in a copy with its length and CRC. */
  readonly copyBytes: number;
}

const LENGTH_BYTES = 2;
const CRC_BYTES = 4;

const BOOT_STATE_COPY_BYTES = 128;
/** The NVM records, one after the other. */
export const NvmAreas = {
  bootState: { offset: 0, copyBytes: BOOT_STATE_COPY_BYTES },
  imageUpload: { offset: 2 * BOOT_STATE_COPY_BYTES, copyBytes: 256 },
} as const satisfies Record<string, NvmArea>;

/** The newest valid copy's fields (without "seq"), or null when neither copy is valid. */
export function readNvmRecord(flash: FlashFile, area: NvmArea): Record<string, unknown> | null {
  let best: { seq: number; fields: Record<string, unknown> } | null = null;
  for (const copy of [0, 1]) {
    const record = decode(flash.read(copyOffset(flash, area, copy), area.copyBytes));
    if (record !== null && (best === null || record.seq > best.seq)) best = record;
  }
  return best?.fields ?? null;
}

/** Writes `fields` over the older copy (two flash operations: erase, then write). */
export function writeNvmRecord(
  flash: FlashFile,
  area: NvmArea,
  fields: Record<string, unknown>,
): void {
  const seqs = [0, 1].map(
    (copy) => decode(flash.read(copyOffset(flash, area, copy), area.copyBytes))?.seq ?? Number.NaN,
  );
  const known = seqs.filter((seq) => !Number.isNaN(seq));
  const seq = known.length === 0 ? 0 : Math.max(...known) + 1;
  const [first = Number.NaN, second = Number.NaN] = seqs;
  // The copy to overwrite: an invalid one, else the older one.
  const oldest = Number.isNaN(first) ? 0 : Number.isNaN(second) ? 1 : first <= second ? 0 : 1;
  const text = new TextEncoder().encode(JSON.stringify({ seq, ...fields }));
  const crcAt = area.copyBytes - CRC_BYTES;
  if (text.length > crcAt - LENGTH_BYTES) {
    throw new RangeError(`NVM record of ${text.length} bytes does not fit ${area.copyBytes}`);
  }
  const record = new Uint8Array(area.copyBytes).fill(0xff);
  const view = new DataView(record.buffer);
  view.setUint16(0, text.length, true);
  record.set(text, LENGTH_BYTES);
  view.setUint32(crcAt, crc32c(record, 0, crcAt), true);
  const offset = copyOffset(flash, area, oldest);
  flash.erase(offset, area.copyBytes);
  flash.write(offset, record);
}

function copyOffset(flash: FlashFile, area: NvmArea, copy: number): number {
  return flash.nvmOffset + area.offset + copy * area.copyBytes;
}

function decode(record: Uint8Array): { seq: number; fields: Record<string, unknown> } | null {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const crcAt = record.length - CRC_BYTES;
  if (view.getUint32(crcAt, true) !== crc32c(record, 0, crcAt)) return null;
  const length = view.getUint16(0, true);
  if (length > crcAt - LENGTH_BYTES) return null;
  try {
    const parsed: unknown = JSON.parse(
      new TextDecoder().decode(record.subarray(LENGTH_BYTES, LENGTH_BYTES + length)),
    );
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { seq, ...fields } = parsed as Record<string, unknown>;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return null;
    return { seq, fields };
  } catch {
    return null;
  }
}
