/**
 * Writes an image through one board's management port into its inactive
 * slot: a push (push.ts) without the pair's checks. The board verifies it
 * before accepting; a refused image changes nothing.
 */
import type { BoardClient } from './board-client.ts';
import { pushToBoard } from './push.ts';

export interface FlashResult {
  readonly slot: number;
  readonly version: string;
  /** The board had no image and now runs this one. */
  readonly running: boolean;
}

export async function flashImage(
  board: BoardClient,
  image: Uint8Array,
  onProgress: (bytesWritten: number) => void,
): Promise<FlashResult> {
  const { slot, version, running } = await pushToBoard(board, image, {
    onProgress: ({ written }) => onProgress(written),
  });
  return { slot, version, running };
}
