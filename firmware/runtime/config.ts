import { byteTimeMs } from '../wire/frame.ts';

/** Settings of one processor of a pair. Durations are milliseconds on the board's clock. */
export interface PairConfig {
  /** Which processor this is; 1 wins the tie-break when both boot together. */
  readonly processor: 1 | 2;
  /** Line rate of the interconnect UARTs (8N1: baud / 10 bytes a second); frames are paced to it. */
  readonly baud: number;
  /** Line rate of the field bus (8N1): a frame noise made up is dropped after twice its time at it. */
  readonly busBaud: number;
  /** Interconnect paths to the partner (a board has one or two UART links). */
  readonly pathCount: 1 | 2;
  /** The partner's DTR is wired to our DSR on every path, so a power loss drops it at once. */
  readonly dsrWired: boolean;
  /** We can pulse the partner's reset line: a takeover fences the old primary first. */
  readonly fenceWired: boolean;
  /**
   * The field bus is one multi-drop line both processors hear (as RS-485
   * gives): only the serving processor answers, and the backup keeps what
   * it hears until a checkpoint covers it, to answer it at once if it takes over.
   */
  readonly busShared: boolean;
  /** A heartbeat goes out on every path at least this often. */
  readonly heartbeatIntervalMs: number;
  /** A path is silent after this many heartbeat intervals without a frame. */
  readonly suspectMissCount: number;
  /**
   * A backup takes over on silence alone (the primary's DSR still high, or
   * not wired) only after this long: a powered partner that is silent is
   * far more often a busy machine or a stalled line than a dead board, and a
   * takeover fences a healthy primary. A DSR drop on every path stays the
   * fast path for a power loss.
   */
  readonly silenceTakeoverAfterMs: number;
  /**
   * A primary whose backup's DSR dropped on every path waits this long before
   * it serves alone: if the cables came out rather than the power went, the
   * backup is alive, takes over at once and fences us within this time.
   */
  readonly partnerOffSettleMs: number;

  /** Replies kept per client for retries (NonStop's sync depth). */
  readonly syncDepth: number;
  /** Clients remembered in the reply cache; the least recently seen is forgotten first. */
  readonly clientsMax: number;
  /** Requests held during a switch before new ones are refused as busy (and heard by a backup on a shared bus, the oldest forgotten first). */
  readonly heldRequestsMax: number;
  /**
   * A backup on a shared bus forgets a request it heard this long ago that
   * no checkpoint has covered (its client has retried it since, or had an
   * answer without a transaction), so a takeover does not answer stale ones.
   */
  readonly heardKeepMs: number;
  /** Checkpoint entries sent in one frame at most (group commit). */
  readonly checkpointEntriesMax: number;
  /** Executed requests waiting for the backup's acknowledgement, at most. */
  readonly pendingRepliesMax: number;
  /**
   * Checkpoint bytes between the executed requests and the backup's
   * acknowledgement, in the line's time at `baud`, at most while replies
   * wait: past it a new request is refused busy (the client retries) rather
   * than answered seconds later, as a crowd at a slow line would make it.
   */
  readonly checkpointBacklogMsMax: number;
  /** How long a switch waits for the partner to boot the new version. */
  readonly switchBootTimeoutMs: number;
  /** How long the big checkpoint (its pre-copy, or the hold for its last round) may go without progress before the switch gives up. */
  readonly switchHoldTimeoutMs: number;
  /** Payload bytes of one snapshot chunk. */
  readonly snapshotChunkBytes: number;
  /**
   * Bytes of a snapshot (a joiner's big checkpoint, a store's compaction)
   * encoded, checked or written in one call at most (about; an item is
   * never split): the rest waits for the next tick, so that the processor
   * hears and answers its lines meanwhile. Requests wait until it is done.
   */
  readonly encodeSliceBytes: number;
  /**
   * A joiner of our version takes the big checkpoint in rounds while
   * replies leave at once (pre-copy.ts). The rounds keep a copy of the
   * state as the last of them left it: where the heap holds one copy (a
   * microcontroller's), the state goes in one round, and replies wait for
   * the joiner's acknowledgement as flow control until it holds it.
   */
  readonly joinerRounds: boolean;
  /**
   * Requests a processor serves in one call at most from those held while
   * its state held still (encodeSliceBytes), replies it sends in one call
   * (released by an acknowledgement, refusals, replies from the cache), and
   * checkpoint entries a backup applies in one call; the rest in the next calls.
   */
  readonly heldServedMax: number;
  /**
   * A switch's pre-copy sends rounds while serving until one is at most
   * this many bytes; that one goes with requests held.
   */
  readonly switchFinalRoundBytes: number;
  /** Reliable channel: segments in flight. */
  readonly channelWindowMax: number;
  /** Reliable channel: segments queued or in flight. */
  readonly channelQueueMax: number;
  /** Reliable channel: retransmission timeout. */
  readonly retransmitTimeoutMs: number;
  /**
   * A booting processor whose durable store says it served alone (no other
   * store can be newer) recovers from it after hearing no partner this long.
   */
  readonly recoverAloneAfterMs: number;
  /** A joiner whose big checkpoint could not be installed asks to join again after this long. */
  readonly joinRetryAfterMs: number;
}

/**
 * A chunk of the big checkpoint occupies the line for about this long: a
 * write that arrives meanwhile waits for it (at 115200, 448 bytes: 39 ms
 * of waiting and about 10% of framing, where 2 KB chunks made writes wait
 * 180 ms while a backup rejoined).
 */
const CHUNK_LINE_MS = 40;

function chunkBytesFor(baud: number): number {
  const bytes = 64 * Math.round(((baud / 10_000) * CHUNK_LINE_MS) / 64);
  return Math.min(2048, Math.max(256, bytes));
}

/** Clients whose last replies the reply cache keeps, unless a board's limits say otherwise. */
export const CLIENTS_MAX_DEFAULT = 256;

export function pairConfig(processor: 1 | 2, overrides: Partial<PairConfig> = {}): PairConfig {
  const heartbeatIntervalMs = overrides.heartbeatIntervalMs ?? 50;
  const suspectMissCount = overrides.suspectMissCount ?? 3;
  const baud = overrides.baud ?? 115200;
  return {
    processor,
    baud,
    busBaud: 115200,
    pathCount: 2,
    dsrWired: true,
    fenceWired: true,
    busShared: false,
    heartbeatIntervalMs,
    suspectMissCount,
    silenceTakeoverAfterMs: 7 * heartbeatIntervalMs * suspectMissCount,
    partnerOffSettleMs: 2 * heartbeatIntervalMs * suspectMissCount,
    syncDepth: 4,
    clientsMax: CLIENTS_MAX_DEFAULT,
    heldRequestsMax: 256,
    heardKeepMs: 1000,
    checkpointEntriesMax: 32,
    pendingRepliesMax: 512,
    checkpointBacklogMsMax: 250,
    switchBootTimeoutMs: 3000,
    switchHoldTimeoutMs: 1000,
    snapshotChunkBytes: chunkBytesFor(baud),
    // About 0.5 ms of Node on this kind of machine (16 KiB: 0.2 ms, and four times the
    // ticks, each a turn of the board's event loop while requests wait): a Linux-class
    // board slices only large states.
    encodeSliceBytes: 64 * 1024,
    joinerRounds: true,
    heldServedMax: 32,
    // What crosses in about 10 ms at 115200.
    switchFinalRoundBytes: 128,
    channelWindowMax: 32,
    channelQueueMax: 1024,
    retransmitTimeoutMs: 30,
    joinRetryAfterMs: 1000,
    recoverAloneAfterMs: 4 * heartbeatIntervalMs * suspectMissCount,
    ...overrides,
  };
}

/** Bytes a millisecond the interconnect carries. */
export function lineBytesPerMs(config: PairConfig): number {
  return 1 / byteTimeMs(config.baud);
}

/** A path counts as silent after this long without a frame. */
export function suspectAfterMs(config: PairConfig): number {
  return config.heartbeatIntervalMs * config.suspectMissCount;
}
