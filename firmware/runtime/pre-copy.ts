/**
 * A pre-copy, as live migration does it: the big checkpoint goes in rounds
 * while the primary serves, the first with the whole state and each after
 * it with what changed since the one before, until a round is small enough
 * to be the last. A switch's new version (switch-procedure.ts, PreCopy)
 * and a joiner of our own version receive their state this way.
 */
import type { PairConfig } from './config.ts';
import type { Bridge } from './state-bridge.ts';

/** The sending side: the rounds sent so far, and the state as the last of them left the receiver holding it. */
export interface RoundsSent {
  readonly bridge: Bridge;
  /** Transfer id of the last round sent. */
  readonly id: number;
  /** The state as the receiver holds it after that round (a copy: ours changes on). */
  readonly sent: unknown;
  readonly rounds: number;
  /** Encoded bytes of the last round. */
  readonly lastBytes: number;
  /** Encoded bytes of the first round, the whole state. */
  readonly wholeBytes: number;
  /** The receiver acknowledged the last round: the next goes when the line is free. */
  readonly acknowledged: boolean;
}

/** Rounds after which the next one is the final one even if rounds still shrink. */
export const PRE_COPY_ROUNDS_MAX = 16;

/**
 * A joiner's rounds go on while each is at most this share of the one
 * before. Nothing holds requests for its last round (a joiner's rounds
 * never slow the clients, unlike a switch's): replies go at once while it
 * crosses, and only those behind its final chunk wait for the joiner.
 */
export const JOINER_ROUND_GROWTH_MAX = 0.75;

/**
 * The first round, transfer `id`: the whole state as `sent`, of `bytes`
 * (0 while it is still being encoded).
 */
export function firstRound(bridge: Bridge, id: number, sent: unknown, bytes: number): RoundsSent {
  return { bridge, id, sent, rounds: 1, lastBytes: bytes, wholeBytes: bytes, acknowledged: false };
}

/** The rounds once round `id`, of `bytes`, went with the state as `sent`. */
export function roundSent<T extends RoundsSent>(
  rounds: T,
  id: number,
  sent: unknown,
  bytes: number,
): T {
  return { ...rounds, id, sent, rounds: rounds.rounds + 1, lastBytes: bytes, acknowledged: false };
}

/** A role whose last round the receiver acknowledged: the next goes when the line is free. */
export function roundAcknowledged<
  R extends { readonly snapshotLastSeq: number; readonly preCopy: RoundsSent | null },
>(role: R): R {
  const preCopy = role.preCopy === null ? null : { ...role.preCopy, acknowledged: true };
  return { ...role, snapshotLastSeq: 0, preCopy };
}

/**
 * Whether a round of `bytes` goes as the last one: when it is small enough,
 * after PRE_COPY_ROUNDS_MAX rounds, or when it is more than `growthMax`
 * times the one before (the requests change about as much as a round
 * carries: more rounds would not make the last one smaller).
 */
export function isLastRound(
  config: PairConfig,
  rounds: RoundsSent,
  bytes: number,
  growthMax: number,
): boolean {
  return (
    bytes <= config.switchFinalRoundBytes ||
    rounds.rounds >= PRE_COPY_ROUNDS_MAX ||
    bytes > growthMax * rounds.lastBytes
  );
}
