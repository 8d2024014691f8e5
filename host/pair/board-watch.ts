/** Reading boards' status over their host ports, and waiting for a state of the pair. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardStatus } from '../../boards/management.ts';
import type { BoardClient } from './board-client.ts';

/** Each board's status, or null for a board that does not answer (powered off, booting). */
export function readBoardStatuses(
  hosts: readonly BoardClient[],
  timeoutMs = 500,
): Promise<(BoardStatus | null)[]> {
  return Promise.all(
    hosts.map((h) =>
      h
        .request({ op: 'status' }, timeoutMs)
        .then((s) => s as BoardStatus)
        .catch(() => null),
    ),
  );
}

/** Polls until `done` holds; the statuses that satisfied it, or null after `timeoutMs`. */
export async function waitForBoards(
  hosts: readonly BoardClient[],
  done: (statuses: (BoardStatus | null)[]) => boolean,
  timeoutMs: number,
  pollMs = 25,
): Promise<(BoardStatus | null)[] | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await readBoardStatuses(hosts);
    if (done(statuses)) return statuses;
    if (Date.now() > deadline) return null;
    await sleep(pollMs);
  }
}

/** The pair role a status shows, null where no image runs or the board is silent. */
export function roleOf(status: BoardStatus | null | undefined): string | null {
  return status?.pair?.role ?? null;
}
