/**
 * Waiting for a board whose power came back to rejoin as backup, with a
 * fake board that moves through its stages on a schedule: a wait that
 * follows progress waits for a slow board that keeps moving (an XS board at
 * a high load average took 15 s from power-on to backup, past the demos'
 * fixed 20 s once the board process's own start is counted), gives up on
 * one that stops moving after the quiet time, and never waits past its cap.
 */
import { performance } from 'node:perf_hooks';
import test from 'ava';
import type { BoardStatus } from '../boards/management.ts';
import type { PairStatus } from '../firmware/pair-main.ts';
import { rejoinStage } from '../host/demo/demo-pair.ts';
import type { BoardClient } from '../host/pair/board-client.ts';
import { BoardNotAnsweringError } from '../host/pair/board-client.ts';
import { roleOf, waitForBoards, waitForBoardsWhileMoving } from '../host/pair/board-watch.ts';
import { boardStatus } from './helpers/board-status.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';

type Stage = PairStatus['role'] | 'silent';

/** A board that is at `stages[i]` from `i * stepMs` after it is made. */
function boardMoving(stages: readonly Stage[], stepMs: number): BoardClient {
  const madeAt = performance.now();
  return {
    label: 'P2',
    port: { baudRate: 115200 },
    request: async () => {
      const i = Math.floor((performance.now() - madeAt) / stepMs);
      const stage = stages[Math.min(i, stages.length - 1)] ?? 'silent';
      if (stage === 'silent') throw new BoardNotAnsweringError('P2 did not answer');
      return boardStatus(2, stage);
    },
  } as unknown as BoardClient;
}

const QUIET_MS = 400;
const isBackup = (statuses: (BoardStatus | null)[]) => roleOf(statuses[0]) === 'backup';
const stageOf = (statuses: (BoardStatus | null)[]) => rejoinStage(statuses[0] ?? null);
const slow: readonly Stage[] = ['silent', 'booting', 'joining', 'backup'];

test('a board that keeps moving towards backup is waited for past the quiet time', async (t) => {
  const stepMs = 0.75 * QUIET_MS;
  t.is(await waitForBoards([boardMoving(slow, stepMs)], isBackup, QUIET_MS), null);
  const rejoined = await waitForBoardsWhileMoving(
    [boardMoving(slow, stepMs)],
    isBackup,
    stageOf,
    QUIET_MS,
    10 * QUIET_MS,
  );
  t.is(roleOf(rejoined?.[0]), 'backup');
});

test('a board that stops moving is given up after the quiet time', async (t) => {
  const started = performance.now();
  const stuck = await waitForBoardsWhileMoving(
    [boardMoving(['silent', 'booting', 'joining', 'booting', 'joining'], 100)],
    isBackup,
    stageOf,
    QUIET_MS,
    30 * QUIET_MS,
  );
  t.is(stuck, null);
  const tookMs = performance.now() - started;
  // It reached joining at 200 ms: given up a quiet time later, long before the cap.
  t.true(tookMs >= 200 + QUIET_MS && tookMs < 10 * QUIET_MS, `${tookMs} ms`);
});

test('a wait that sees progress without end is given up at the cap', async (t) => {
  const started = performance.now();
  const capMs = 3 * QUIET_MS;
  // A stage that rises all the time, and never the role sought.
  const forever = await waitForBoardsWhileMoving(
    [boardMoving(['joining'], QUIET_MS)],
    isBackup,
    () => performance.now() - started,
    QUIET_MS,
    capMs,
  );
  t.is(forever, null);
  const tookMs = performance.now() - started;
  t.true(tookMs >= capMs && tookMs < capMs + 10 * QUIET_MS, `${tookMs} ms`);
});

test('a joiner whose big checkpoint keeps arriving is waited for past the quiet time, and one whose chunks stop is not', async (t) => {
  /** Joining from the start, chunks arriving until `arrivingMs`, backup at `backupAtMs`. */
  const joiner = (arrivingMs: number, backupAtMs: number): BoardClient => {
    const madeAt = performance.now();
    return {
      label: 'P2',
      port: { baudRate: 115200 },
      request: async () => {
        const elapsed = performance.now() - madeAt;
        if (elapsed >= backupAtMs) return boardStatus(2, 'backup');
        const snapshotReceivedBytes = Math.round(Math.min(elapsed, arrivingMs));
        return boardStatus(2, 'joining', { snapshotReceivedBytes });
      },
    } as unknown as BoardClient;
  };
  const wait = (board: BoardClient) =>
    waitForBoardsWhileMoving([board], isBackup, stageOf, QUIET_MS, 10 * QUIET_MS);
  t.is(roleOf((await wait(joiner(3 * QUIET_MS, 3 * QUIET_MS)))?.[0]), 'backup');
  t.is(await wait(joiner(QUIET_MS / 4, 6 * QUIET_MS)), null);
});

test("a joiner counts the big checkpoint's bytes as they arrive, before it holds it", (t) => {
  const app = bulkApp(30_000);
  const pair = new CorePair([app, app]);
  pair.runUntil(() => pair.whole, 60_000);
  pair.powerOff(1);
  pair.run(5);
  pair.boot(1);
  pair.runUntil(() => pair.core(1).snapshotReceivedBytes > 0, 20_000);
  t.is(pair.core(1).role, 'joining', 'counted while joining');
  pair.runUntil(() => pair.whole, 60_000);
  t.true(
    pair.core(1).snapshotReceivedBytes >= 30_000,
    `${pair.core(1).snapshotReceivedBytes} bytes`,
  );
  t.is(pair.core(0).snapshotReceivedBytes, 0, 'the primary received none');
});
