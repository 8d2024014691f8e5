/**
 * Writes an image through one board's management port into its inactive
 * slot: a push (push.ts) without the pair's checks. The board checks the
 * image's head and its own push policy before it erases anything, and
 * verifies the whole image before it counts it as the slot's.
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
  options: { readonly allowDowngrade?: boolean } = {},
): Promise<FlashResult> {
  const { slot, version, running } = await pushToBoard(board, image, {
    ...options,
    onProgress: ({ written }) => onProgress(written),
  });
  return { slot, version, running };
}
