/**
 * A pre-copy, as live migration does it: the big checkpoint goes in rounds
 * while the primary serves, the first with the whole state and each after
 * it with what changed since the one before, until a round is small enough
 * to be the last. A switch's new version and a joiner of our own version
 * receive their state this way. Requests may change the state only so fast
 * that the rounds shrink (live migration's auto-converge).
 */
import { lineBytesPerMs, type PairConfig } from './config.ts';
import type { Bridge } from './state-bridge.ts';

/** The sending side: the rounds sent so far, and the change requests may still make. */
export interface PreCopy {
  readonly bridge: Bridge;
  /** Transfer id of the last round sent. */
  readonly id: number;
  /** The state as the receiver holds it after that round (a copy: ours changes on). */
  readonly sent: unknown;
  readonly rounds: number;
  /** Encoded bytes of the last round. */
  readonly lastBytes: number;
  /** The receiver acknowledged the last round: the next goes when the line is free. */
  readonly acknowledged: boolean;
  /** Bytes of change requests may still make (see changeAllowance), as of `allowanceAtMs`. */
  readonly allowance: number;
  readonly allowanceAtMs: number;
  /** Checkpoint entry bytes of the requests run since the last round was taken. */
  readonly changedBytes: number;
  /**
   * Round bytes a byte of checkpoint entry made, as the last round measured
   * it: a request's entry may be much smaller than what it changes.
   */
  readonly roundBytesPerEntryByte: number;
}

/**
 * Requests during a pre-copy may change the state at most at this share of
 * the line rate (counted in the round bytes their checkpoint entries' bytes
 * made in the last round): each round then carries about this share of the
 * one before, and the rounds converge whatever the load. Requests beyond it
 * wait, briefly.
 */
export const PRE_COPY_LINE_SHARE = 0.5;

/** Change a pre-copy allows at once, after a quiet spell. */
export const PRE_COPY_BURST_BYTES = 1024;

/** Rounds after which the next one is the final one even if rounds still shrink. */
export const PRE_COPY_ROUNDS_MAX = 16;

/** Entry bytes a round must follow before it measures roundBytesPerEntryByte: a few requests say little. */
const MEASURED_AFTER_BYTES = 64;

/** Round bytes per entry byte at most: a round's own overhead must not stop the clients. */
const ROUND_BYTES_PER_ENTRY_BYTE_MAX = 8;

/** A pre-copy whose first round, transfer `id`, is the whole state as `sent`. */
export function firstRound(bridge: Bridge, id: number, sent: unknown, nowMs: number): PreCopy {
  return {
    bridge,
    id,
    sent,
    rounds: 1,
    lastBytes: 0,
    acknowledged: false,
    allowance: PRE_COPY_BURST_BYTES,
    allowanceAtMs: nowMs,
    changedBytes: 0,
    roundBytesPerEntryByte: 1,
  };
}

/**
 * The pre-copy once round `id`, of `bytes`, went with the state as `sent`:
 * its size against the entries of the requests it carries measures how
 * much a request's change costs in rounds from now on.
 */
export function roundTaken(preCopy: PreCopy, id: number, sent: unknown, bytes: number): PreCopy {
  const measured = preCopy.changedBytes >= MEASURED_AFTER_BYTES;
  const rate = measured
    ? Math.min(ROUND_BYTES_PER_ENTRY_BYTE_MAX, Math.max(1, bytes / preCopy.changedBytes))
    : preCopy.roundBytesPerEntryByte;
  return {
    ...preCopy,
    id,
    sent,
    rounds: preCopy.rounds + 1,
    lastBytes: bytes,
    acknowledged: false,
    changedBytes: 0,
    roundBytesPerEntryByte: rate,
  };
}

/** Bytes of change requests may make now; at or below 0 they wait. */
export function changeAllowance(config: PairConfig, preCopy: PreCopy, nowMs: number): number {
  const earned = (nowMs - preCopy.allowanceAtMs) * lineBytesPerMs(config) * PRE_COPY_LINE_SHARE;
  return Math.min(PRE_COPY_BURST_BYTES, preCopy.allowance + earned);
}

/** When the allowance is positive again. */
export function changeAllowedAtMs(config: PairConfig, preCopy: PreCopy): number {
  const rate = lineBytesPerMs(config) * PRE_COPY_LINE_SHARE;
  return preCopy.allowanceAtMs + Math.max(0, -preCopy.allowance) / rate + 1;
}

/** The allowance after a request whose checkpoint entry is `entryBytes`. */
export function chargeChange(
  config: PairConfig,
  preCopy: PreCopy,
  nowMs: number,
  entryBytes: number,
): PreCopy {
  return {
    ...preCopy,
    allowance:
      changeAllowance(config, preCopy, nowMs) - entryBytes * preCopy.roundBytesPerEntryByte,
    allowanceAtMs: nowMs,
    changedBytes: preCopy.changedBytes + entryBytes,
  };
}

/**
 * Whether a round of `bytes` goes as the final one: when it is small
 * enough, after PRE_COPY_ROUNDS_MAX rounds, or when it doubled (the state
 * changed faster than rounds carry it, which the change allowance should
 * prevent: more rounds would only grow the last one). A switch holds
 * requests while its final round crosses; a joiner's checkpoints follow
 * its final round, and only the replies queued behind it wait for it.
 */
export function isFinalRound(config: PairConfig, preCopy: PreCopy, bytes: number): boolean {
  return (
    bytes <= config.switchFinalRoundBytes ||
    preCopy.rounds >= PRE_COPY_ROUNDS_MAX ||
    bytes > 2 * preCopy.lastBytes
  );
}
