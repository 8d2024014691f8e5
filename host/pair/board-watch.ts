/** Reading boards' status over their host ports, and waiting for a state of the pair. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardStatus } from '../../boards/management.ts';
import type { BoardClient } from './board-client.ts';

/** How long one status read waits for its answer: a poll that sees a silent board polls again. */
export const STATUS_READ_TIMEOUT_MS = 500;

/**
 * How long a board that does not answer status is asked again before a
 * decision takes it for absent (a switch refused, a push refused). A board
 * alive on a loaded machine can miss one read: an XS board answers only
 * between calls into its engine, and its status collects XS's garbage
 * first, which took over 2 s at a high load average; a frame that stalls
 * mid-way is cut short and lost. A board without power stays silent, and
 * is taken for absent after this long.
 */
export const STATUS_PATIENCE_MS = 10_000;

/** Each board's status, or null for a board that does not answer (powered off, booting). */
export function readBoardStatuses(
  hosts: readonly BoardClient[],
  timeoutMs = STATUS_READ_TIMEOUT_MS,
): Promise<(BoardStatus | null)[]> {
  return Promise.all(hosts.map((host) => readStatus(host, timeoutMs)));
}

/**
 * Each board's status, where a decision depends on whether a board is there:
 * a board that does not answer is asked again (after 0.5 s, then 1, 2, 4 s:
 * a lost request), and an answer to any of the requests counts, until
 * `patienceMs` has passed; null for a board silent all that time.
 */
export function readBoardStatusesPatiently(
  hosts: readonly BoardClient[],
  patienceMs = STATUS_PATIENCE_MS,
): Promise<(BoardStatus | null)[]> {
  return Promise.all(hosts.map((host) => readStatusPatiently(host, patienceMs)));
}

function readStatus(host: BoardClient, timeoutMs: number): Promise<BoardStatus | null> {
  return host
    .request({ op: 'status' }, timeoutMs)
    .then((s) => s as BoardStatus)
    .catch(() => null);
}

async function readStatusPatiently(
  host: BoardClient,
  patienceMs: number,
): Promise<BoardStatus | null> {
  const started = performance.now();
  const sinceStart = () => performance.now() - started;
  // The first status any request brings; a request that times out brings none.
  let answered: Promise<BoardStatus> = new Promise(() => {});
  let askAtMs = 0;
  for (let gapMs = STATUS_READ_TIMEOUT_MS; askAtMs < patienceMs; gapMs *= 2) {
    // Each request waits until the patience ends: a slow answer to an earlier one still counts.
    const request = host.request({ op: 'status' }, patienceMs - sinceStart());
    answered = Promise.any([answered, request as Promise<BoardStatus>]);
    askAtMs = Math.min(askAtMs + gapMs, patienceMs);
    const status = await Promise.race([answered, sleep(askAtMs - sinceStart(), null)]);
    if (status !== null) return status;
  }
  return null;
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

/**
 * Polls until `done` holds, for as long as the boards keep coming closer to
 * it: `stage` ranks their statuses (higher is closer), and the wait gives up
 * after `quietMs` without a higher rank than any before, or after `capMs` in
 * all. A dead or stuck board is given up after `quietMs`; a slow one that
 * keeps moving (an XS board booting on a loaded machine) is waited for.
 */
export async function waitForBoardsWhileMoving(
  hosts: readonly BoardClient[],
  done: (statuses: (BoardStatus | null)[]) => boolean,
  stage: (statuses: (BoardStatus | null)[]) => number,
  quietMs: number,
  capMs: number,
  pollMs = 25,
): Promise<(BoardStatus | null)[] | null> {
  const started = performance.now();
  let best = Number.NEGATIVE_INFINITY;
  let movedAtMs = started;
  for (;;) {
    const statuses = await readBoardStatuses(hosts);
    if (done(statuses)) return statuses;
    const now = performance.now();
    const reached = stage(statuses);
    if (reached > best) {
      best = reached;
      movedAtMs = now;
    }
    if (now - movedAtMs > quietMs || now - started > capMs) return null;
    await sleep(pollMs);
  }
}

/** The pair role a status shows, null where no image runs or the board is silent. */
export function roleOf(status: BoardStatus | null | undefined): string | null {
  return status?.pair?.role ?? null;
}
