/**
 * Pair limits for a microcontroller-class board, where the pair's defaults
 * (firmware/runtime/config.ts) are sized for a Linux-class one. The reliable
 * channel allocates its send queue whole: 1,024 entries cost about 24 KiB of
 * a 32-bit XS heap, 256 about 6 KiB. Replies waiting for the backup stay
 * well under the queue, so that checkpoints never fill it and a control
 * message always finds room. The rest bounds what one call into the image
 * does (in XS's computation units, the bench's large state): a joiner's big
 * checkpoint and a store's compaction are encoded 1 KiB a call (about
 * 33,000 units, where the whole large state took 1.5 million in one call);
 * held requests are served, and released replies sent, 4 a call (a request
 * costs the primary about 80,000 units: all at once, 256 held requests made
 * a call of 1.6 million, and 128 replies one of about a million), and a
 * backup applies 4 checkpoint entries a call; a checkpoint carries at most
 * 8 entries (a backup applying a batch of 32 took up to 925,000 units in
 * one call, 8 about 270,000).
 */
import type { PairConfig } from '../firmware/runtime/config.ts';

export const MICROCONTROLLER_LIMITS = {
  channelQueueMax: 256,
  pendingRepliesMax: 128,
  encodeSliceBytes: 1024,
  heldServedMax: 4,
  checkpointEntriesMax: 8,
  // A joiner's rounds keep a second copy of the state: a few hundred KiB hold one.
  joinerRounds: false,
} as const satisfies Partial<PairConfig>;
