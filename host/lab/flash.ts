/**
 * Writes an image through a board's management port into its inactive slot.
 * The board verifies it before accepting; a refused image changes nothing.
 */
import { FLASH_CHUNK_BYTES } from '../../boards/management.ts';
import type { BoardClient } from './board-client.ts';

export interface FlashResult {
  readonly slot: number;
  readonly version: string;
  /** The board had no image and now runs this one. */
  readonly running: boolean;
}

export async function flashImage(
  board: BoardClient,
  image: Uint8Array,
  onProgress: (bytesSent: number) => void,
): Promise<FlashResult> {
  await board.request({ op: 'flash-begin', bytes: image.length });
  for (let offset = 0; offset < image.length; offset += FLASH_CHUNK_BYTES) {
    const data = image.subarray(offset, offset + FLASH_CHUNK_BYTES);
    await board.request({ op: 'flash-data', offset, data });
    onProgress(offset + data.length);
  }
  return (await board.request({ op: 'flash-end' }, 10_000)) as FlashResult;
}
