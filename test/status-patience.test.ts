/**
 * Deciding that a board is absent, with fake boards: a board that misses one
 * status read (the request lost, or the answer later than a poll waits) is
 * asked again and counts as there, so a switch goes ahead; a board silent
 * for the whole patience counts as absent, after a bounded number of
 * requests, and the switch is refused for it.
 */
import { performance } from 'node:perf_hooks';
import test from 'ava';
import type { BoardStatus } from '../boards/management.ts';
import {
  type BoardClient,
  BoardNotAnsweringError,
  BoardRefusedError,
} from '../host/pair/board-client.ts';
import {
  readBoardStatuses,
  readBoardStatusesPatiently,
  STATUS_READ_TIMEOUT_MS,
} from '../host/pair/board-watch.ts';
import { runSwitch, SwitchRefusedError } from '../host/pair/switch.ts';
import { boardStatus, switchablePrimary } from './helpers/board-status.ts';

/** How a fake board treats its n-th status request (from 0): answers after some ms, or never. */
type Answering = (n: number) => number | 'never';

/**
 * A board client whose status answers come as `answering` says (a request
 * not answered in time rejects as a real one does); it refuses a switch,
 * and its journal is empty.
 */
function fakeBoard(
  status: BoardStatus,
  answering: Answering,
): { client: BoardClient; statusRequests: () => number } {
  let statusRequests = 0;
  const client = {
    label: `P${status.processor}`,
    port: { baudRate: 115200 },
    request: (request: { op: string }, timeoutMs = 2000) => {
      if (request.op === 'journal') {
        return Promise.resolve({ powerOn: 1, next: 0, entries: [], dropped: false });
      }
      if (request.op === 'switch') {
        return Promise.reject(new BoardRefusedError('busy', `P${status.processor}: fake refusal`));
      }
      const afterMs = answering(statusRequests++);
      return new Promise((resolve, reject) => {
        const late = setTimeout(
          () => reject(new BoardNotAnsweringError(`P${status.processor} did not answer`)),
          timeoutMs,
        );
        if (afterMs === 'never' || afterMs >= timeoutMs) return;
        setTimeout(() => {
          clearTimeout(late);
          resolve(status);
        }, afterMs);
      });
    },
  } as unknown as BoardClient;
  return { client, statusRequests: () => statusRequests };
}

const primary = switchablePrimary();
const backup = boardStatus(2, 'backup');

function answersAt(ms: number): Answering {
  return () => ms;
}

test('a board whose first status request is lost is asked again and counts as there', async (t) => {
  const lostFirst: Answering = (n) => (n === 0 ? 'never' : 5);
  t.deepEqual(await readBoardStatuses([fakeBoard(backup, lostFirst).client]), [null]);
  const board = fakeBoard(backup, lostFirst);
  t.deepEqual(await readBoardStatusesPatiently([board.client]), [backup]);
  t.is(board.statusRequests(), 2);
});

test('a status answer later than a poll waits still counts', async (t) => {
  const slowMs = 3 * STATUS_READ_TIMEOUT_MS;
  t.deepEqual(await readBoardStatuses([fakeBoard(backup, answersAt(slowMs)).client]), [null]);
  const board = fakeBoard(backup, answersAt(slowMs));
  t.deepEqual(await readBoardStatusesPatiently([board.client]), [backup]);
});

test('a silent board counts as absent once the patience is spent, after a few requests', async (t) => {
  const board = fakeBoard(backup, () => 'never');
  const patienceMs = 4 * STATUS_READ_TIMEOUT_MS;
  const started = performance.now();
  t.deepEqual(await readBoardStatusesPatiently([board.client], patienceMs), [null]);
  const tookMs = performance.now() - started;
  t.true(tookMs >= patienceMs - 5, `${tookMs} ms`);
  // Asked at 0, 0.5 and 1.5 s: the interval doubles, so a dead board is not flooded.
  t.is(board.statusRequests(), 3);
});

test('a switch goes ahead when a board missed its first status read', async (t) => {
  const boards = [
    fakeBoard(primary, answersAt(5)).client,
    fakeBoard(backup, (n) => (n === 0 ? 'never' : 5)).client,
  ] as const;
  // The fake primary refuses the switch command itself: the switch got that far.
  await t.throwsAsync(runSwitch(boards), {
    instanceOf: SwitchRefusedError,
    message: 'P1: fake refusal',
  });
});

test('a switch is refused for a board silent for the whole patience', async (t) => {
  const boards = [
    fakeBoard(primary, answersAt(5)).client,
    fakeBoard(backup, () => 'never').client,
  ] as const;
  await t.throwsAsync(runSwitch(boards, { statusPatienceMs: 2 * STATUS_READ_TIMEOUT_MS }), {
    instanceOf: SwitchRefusedError,
    message: 'processor 2 does not answer: a switch needs both',
  });
});
