/**
 * Reading a board's journal where missing entries would be wrong, with a
 * fake board whose first journal request goes unanswered (a busy board on a
 * loaded machine): skipping to the end must not take the silence for the
 * end, or entries of an earlier switch come back in the next one's report
 * (an XS upgrade demo's fallback report carried the switch's steps of 20 s
 * before, and "ran without a backup" 23.5 s); a read to the end asks again
 * and returns every entry. A board that never answers is given up after
 * the patience.
 */
import { performance } from 'node:perf_hooks';
import test from 'ava';
import { Journal } from '../boards/journal.ts';
import type { BoardStatus } from '../boards/management.ts';
import type { PairEvent } from '../firmware/runtime/outputs.ts';
import { type BoardClient, BoardNotAnsweringError } from '../host/pair/board-client.ts';
import { JournalReader } from '../host/pair/journal-reader.ts';
import { runSwitch } from '../host/pair/switch.ts';
import { boardStatus, switchablePrimary } from './helpers/board-status.ts';

/**
 * A board client over `journal` whose journal requests numbered in
 * `unanswered` (from 0) get no answer in time; it answers status with
 * `status` (and a switch with nothing).
 */
function boardWith(
  journal: Journal,
  unanswered: (n: number) => boolean,
  status: BoardStatus = boardStatus(1, 'primary'),
): BoardClient {
  let journalRequests = 0;
  return {
    label: 'fake',
    port: { baudRate: 115200 },
    request: async (request: { op: string; powerOn?: number; since?: number }) => {
      if (request.op === 'status') return status;
      if (request.op === 'switch') return null;
      if (unanswered(journalRequests++)) throw new BoardNotAnsweringError('fake: busy');
      return journal.page(request.powerOn ?? 0, request.since ?? 0);
    },
  } as unknown as BoardClient;
}

function journalOf(events: readonly PairEvent[]): Journal {
  const journal = new Journal(1);
  for (const [i, event] of events.entries()) journal.record(event, i, 1, '1.0.0');
  return journal;
}

const OLD_STEPS: readonly PairEvent[] = [
  { kind: 'switch', step: 'a', ok: true, why: { code: 'asked-to-stop', ms: 3000 } },
  { kind: 'switch', step: 'b', ok: true },
];

test('skipping to the end of a journal asks again when the board does not answer', async (t) => {
  const reader = new JournalReader(boardWith(journalOf(OLD_STEPS), (n) => n === 0));
  await reader.skipToEnd();
  t.deepEqual(await reader.read(), [], 'nothing from before the skip');
});

test('a read to the end returns every entry when the board misses a page', async (t) => {
  const reader = new JournalReader(boardWith(journalOf(OLD_STEPS), (n) => n < 2));
  const entries = await reader.readToEnd();
  t.deepEqual(
    entries.map((e) => e.kind === 'switch' && e.step),
    ['a', 'b'],
  );
});

test('a read to the end of a board that never answers ends after the patience', async (t) => {
  const reader = new JournalReader(boardWith(journalOf(OLD_STEPS), () => true));
  const started = performance.now();
  t.deepEqual(await reader.readToEnd(1500), []);
  t.true(performance.now() - started < 1500 + 1000);
});

test("a switch's report holds none of the steps recorded before it, though a board missed the first journal read", async (t) => {
  // An earlier switch failed at d; this one is never seen to finish (the fake boards do not switch).
  const earlier: PairEvent[] = [
    ...OLD_STEPS,
    { kind: 'switch', step: 'd', ok: false, why: { code: 'no-new-version', ms: 3000 } },
  ];
  const primary = switchablePrimary();
  const boards = [
    boardWith(journalOf(earlier), (n) => n === 0, primary),
    boardWith(journalOf([]), () => false, boardStatus(2, 'backup')),
  ] as const;
  const report = await runSwitch(boards, { timeoutMs: 300 });
  t.deepEqual(report.steps, []);
  t.not(report.failure, 'no new version within 3000 ms');
});
