/**
 * The live view of a pair, folded from readings: readiness in the operators'
 * words, takeover times measured from the pull, rejoins, role changes, split
 * brain, and switch steps in the procedure's order. Readings are made up
 * here, as a target would deliver them.
 */
import test from 'ava';
import type { PairStatus } from '../firmware/pair-main.ts';
import type {
  BoardReading,
  PairReading,
  PowerChange,
  Processor,
} from '../host/dashboard/pair-feed.ts';
import {
  describeEvent,
  inProcedureOrder,
  PairView,
  readinessLabel,
} from '../host/dashboard/pair-view.ts';
import type { PairJournalEntry } from '../host/pair/pair-journal.ts';
import { boardStatus } from './helpers/board-status.ts';

function board(
  processor: Processor,
  role: PairStatus['role'] | null,
  extra: Partial<PairStatus> = {},
): BoardReading {
  const status = role === null ? null : boardStatus(processor, role, extra);
  return { processor, status, powered: role !== null, uptimeMs: null, memoryBytes: null };
}

function reading(
  atMs: number,
  roles: [PairStatus['role'] | null, PairStatus['role'] | null],
  entries: PairJournalEntry[] = [],
  powerChanges: PowerChange[] = [],
): PairReading {
  return { atMs, boards: [board(1, roles[0]), board(2, roles[1])], entries, powerChanges };
}

function entry(
  processor: Processor,
  atMs: number,
  event: Record<string, unknown>,
): PairJournalEntry {
  return {
    seq: atMs,
    atMs,
    boot: 1,
    version: '1.0.0',
    powerOn: 1,
    processor,
    ...event,
  } as PairJournalEntry;
}

test('readiness: redundant, solo, syncing, down', (t) => {
  const view = new PairView();
  view.ingest(reading(0, ['primary', 'backup']));
  t.is(readinessLabel(view.readiness), 'REDUNDANT (P1 primary)');
  view.ingest(reading(100, [null, 'primary-alone']));
  t.is(readinessLabel(view.readiness), 'SOLO (P2 alone)');
  view.ingest({
    ...reading(200, ['joining', 'primary']),
    // The big checkpoint's bytes so far.
    boards: [board(1, 'joining', { snapshotReceivedBytes: 4096 }), board(2, 'primary')],
  });
  t.deepEqual(view.readiness, { kind: 'syncing', primary: 2, receivedBytes: 4096 });
  view.ingest(reading(300, [null, null]));
  t.is(view.readiness.kind, 'down');
});

test('a takeover is timed from the pull of its partner, and the rejoin from the restore', (t) => {
  const view = new PairView();
  view.ingest(reading(1000, ['primary', 'backup']));
  view.ingest(
    reading(
      1100,
      [null, 'primary-alone'],
      [
        entry(2, 1033, { kind: 'takeover', fenced: true, why: { code: 'dsr-dropped' } }),
        entry(2, 1033, {
          kind: 'role',
          role: 'primary-alone',
          term: 2,
          txn: 5,
          cause: 'takeover',
          why: { code: 'dsr-dropped' },
        }),
      ],
      [{ processor: 1, on: false, atMs: 1000, sinceMs: 1000, byFeed: true }],
    ),
  );
  const takeover = view.events.find((e) => e.kind === 'takeover');
  t.like(takeover, { processor: 2, takeoverMs: 33, exact: true });
  t.is(
    describeEvent(takeover as NonNullable<typeof takeover>),
    'P2 TAKEOVER in 33 ms, partner fenced (DSR dropped on every path)',
  );
  t.like(view.counters, { takeovers: 1, lastTakeoverMs: 33, maxTakeoverMs: 33, roleChanges: 1 });
  // Power-on first, then the journal entry: the events come in the order they happened.
  t.deepEqual(
    view.events.map((e) => e.kind),
    ['power', 'takeover', 'role'],
  );
  view.ingest(
    reading(
      5000,
      ['backup', 'primary'],
      [
        entry(1, 4200, {
          kind: 'role',
          role: 'backup',
          term: 2,
          txn: 9,
          cause: 'big-checkpoint-installed',
        }),
      ],
      [{ processor: 1, on: true, atMs: 3000, sinceMs: 2980, byFeed: false }],
    ),
  );
  t.like(
    view.events.find((e) => e.kind === 'rejoin'),
    { processor: 1, afterRestoreMs: 1200 },
  );
});

test('a pull polled late, after the takeover it caused, still times the takeover', (t) => {
  // The rails' poll stalled: the last poll that saw P1 on was at 1000, the next asked at 1400,
  // so the pull's estimate (1200) falls after P2's takeover at 1100.
  const view = new PairView();
  view.ingest(reading(1000, ['primary', 'backup']));
  view.ingest(
    reading(
      1500,
      [null, 'primary-alone'],
      [entry(2, 1100, { kind: 'takeover', fenced: false, why: { code: 'dsr-dropped' } })],
      [{ processor: 1, on: false, atMs: 1200, sinceMs: 1000, byFeed: false }],
    ),
  );
  const takeover = view.events.find((e) => e.kind === 'takeover');
  t.like(takeover, { processor: 2, takeoverMs: 50, exact: false });
  t.is(
    describeEvent(takeover as NonNullable<typeof takeover>),
    'P2 TAKEOVER in ~50 ms (DSR dropped on every path)',
  );
});

test('two boards primary at once is one split-brain episode until it ends', (t) => {
  const view = new PairView();
  view.ingest(reading(0, ['primary', 'primary']));
  view.ingest(reading(100, ['primary', 'primary-alone']));
  view.ingest(reading(200, ['primary', 'backup']));
  view.ingest(reading(300, ['primary', 'primary']));
  t.is(view.counters.splitBrain, 2);
});

test('switch steps read from two journals keep the procedure order; other entries keep time order', (t) => {
  const step = (processor: Processor, atMs: number, name: string) =>
    entry(processor, atMs, { kind: 'switch', step: name, ok: true, detail: '' });
  const ordered = inProcedureOrder([
    step(1, 10.2, 'd'),
    step(2, 10.1, 'c'),
    entry(1, 5, { kind: 'fence' }),
    step(1, 9.9, 'e'),
  ]);
  t.deepEqual(
    ordered.map((e) => (e.kind === 'switch' ? e.step : e.kind)),
    ['fence', 'c', 'd', 'e'],
  );
  const view = new PairView();
  view.ingest(reading(20, ['switching', 'booting'], [step(1, 10, 'c')]));
  t.is(readinessLabel(view.readiness), 'SWITCHING step c');
});
