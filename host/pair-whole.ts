/**
 * "The pair is whole", read from the two boards' statuses: the one host-side
 * definition that the switch watcher, the load run, the bench, the demos and
 * the HIL campaigns wait for. (The deterministic simulator judges wholeness
 * from the cores themselves, with more than a status shows: see
 * `World.#pairWhole`.)
 */
import type { BoardStatus } from '../boards/management.ts';

/** One primary and one backup (on either processor) on one version. */
export function isWhole(statuses: readonly (BoardStatus | null)[]): boolean {
  const pairs = statuses.map((s) => s?.pair ?? null);
  const roles = pairs.map((p) => p?.role).sort();
  return roles[0] === 'backup' && roles[1] === 'primary' && pairs[0]?.version === pairs[1]?.version;
}

/** Whole and neither board on trial: a switch is over and confirmed on both boards. */
export function isSettled(statuses: readonly (BoardStatus | null)[]): boolean {
  return isWhole(statuses) && statuses.every((s) => s?.pair?.testMode === false);
}
