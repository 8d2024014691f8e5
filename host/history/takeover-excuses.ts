/**
 * Which takeovers in a pair's journals a fault explains. A backup that takes
 * over while its partner was really gone (power pulled, or silent longer
 * than the takeover time) did its job; any other takeover fenced a healthy
 * primary: a false takeover. The bench counts them after its power-pulls,
 * the single-fault table after each fault.
 */
import type { PairJournalEntry } from '../pair/pair-journal.ts';

/** A span in which board `absent` was gone or silent, so its partner had reason to act. */
export interface Excuse {
  readonly absent: 1 | 2;
  /** Wall-clock ms (the journals' clock). */
  readonly fromWallMs: number;
  /** When it was back; null while it never was during the run. */
  readonly toWallMs: number | null;
}

/**
 * A board that comes back is noticed by its partner a little later (a new
 * incarnation, a rejoin): an act of the partner up to this long after the
 * excuse ended is still explained by it.
 */
export const EXCUSE_SETTLE_MS = 5000;

/** Whether `entry` (an act of its board) falls in an excuse of its partner. */
export function isExcused(entry: PairJournalEntry, excuses: readonly Excuse[]): boolean {
  return excuses.some(
    (excuse) =>
      excuse.absent !== entry.processor &&
      entry.atMs >= excuse.fromWallMs &&
      entry.atMs <= (excuse.toWallMs ?? Number.POSITIVE_INFINITY) + EXCUSE_SETTLE_MS,
  );
}

/** The journals' takeovers that no excuse explains. */
export function falseTakeovers(
  entries: readonly PairJournalEntry[],
  excuses: readonly Excuse[],
): PairJournalEntry[] {
  return entries.filter((e) => e.kind === 'takeover' && !isExcused(e, excuses));
}
