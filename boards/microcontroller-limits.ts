/**
 * Pair limits for a microcontroller-class board, where the pair's defaults
 * (firmware/runtime/config.ts) are sized for a Linux-class one. The reliable
 * channel allocates its send queue whole: 1,024 entries cost about 24 KiB of
 * a 32-bit XS heap, 256 about 6 KiB. Replies waiting for the backup stay
 * well under the queue, so that checkpoints never fill it and a control
 * message always finds room. The rest bounds what one call into the image
 * does (in XS's computation units, the bench's states): a joiner's big
 * checkpoint and a store's compaction are encoded 512 bytes a call (a
 * compaction's slice of 1 KiB, with its CRC and its write, was a call of
 * about 140,000 units, where the whole large state took 1.5 million in one
 * call); held requests are served, and replies sent, 2 a call (a request
 * costs the primary about 13,000 units to run and as much again to log and
 * send; 4 a call made calls of 150,000 units, all at once 256 held requests
 * made one of 1.6 million, and a reply written costs about 9,000), and a
 * backup applies 2 checkpoint entries a call; a checkpoint carries at most
 * 8 entries (a backup applying a batch of 32 took up to 925,000 units in
 * one call, 8 about 270,000).
 */
import type { PairConfig } from '../firmware/runtime/config.ts';

export const MICROCONTROLLER_LIMITS = {
  channelQueueMax: 256,
  pendingRepliesMax: 128,
  encodeSliceBytes: 512,
  heldServedMax: 2,
  checkpointEntriesMax: 8,
  // A joiner's rounds keep a second copy of the state: a few hundred KiB hold one.
  joinerRounds: false,
} as const satisfies Partial<PairConfig>;
