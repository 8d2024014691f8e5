/**
 * Pair limits for a microcontroller-class board, where the pair's defaults
 * (firmware/runtime/config.ts) are sized for a Linux-class one. The reliable
 * channel allocates its send queue whole: 1,024 entries cost about 24 KiB of
 * a 32-bit XS heap, 256 about 6 KiB. Replies waiting for the backup stay
 * well under the queue, so that checkpoints never fill it and a control
 * message always finds room. A joiner's big checkpoint is encoded 1 KiB a
 * call: about 33,000 of XS's computation units (32 a byte at the bench's
 * large state), where the whole large state took 1.5 million in one call.
 * The requests held meanwhile are served 4 a call (a request costs the
 * primary about 80,000 units): all at once, they made a call of 1.6
 * million.
 */
import type { PairConfig } from '../firmware/runtime/config.ts';

export const MICROCONTROLLER_LIMITS = {
  channelQueueMax: 256,
  pendingRepliesMax: 128,
  encodeSliceBytes: 1024,
  heldServedMax: 4,
  checkpointEntriesMax: 8,
} as const satisfies Partial<PairConfig>;
