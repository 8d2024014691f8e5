/**
 * The bench's arithmetic on what it read: the time without a backup from
 * both boards' role changes, and the interconnect's line time split from
 * the hub's and the cores' counters, and the cost of durability from the
 * stores' counts. Made-up readings, no lab.
 */
import test from 'ava';
import type { BoardStatus } from '../boards/management.ts';
import type { RoleName } from '../firmware/runtime/messages.ts';
import {
  type DurabilityResult,
  type DurabilityWindow,
  durabilityFigures,
} from '../host/bench/durability-bench.ts';
import { type LineSample, lineTime } from '../host/bench/line-time.ts';
import { withoutBackupMs } from '../host/bench/switch-bench.ts';
import type { CableStatus } from '../host/lab/hub/control.ts';
import type { PairJournalEntry } from '../host/pair/pair-journal.ts';
import { boardStatus } from './helpers/board-status.ts';

let seq = 0;
function role(processor: 1 | 2, atMs: number, name: RoleName): PairJournalEntry {
  return {
    kind: 'role',
    role: name,
    term: 1,
    txn: 0,
    cause: 'boot',
    seq: seq++,
    atMs,
    boot: 1,
    version: '1.0.0',
    powerOn: 1,
    processor,
  } as PairJournalEntry;
}

test('without a backup: from the backup stopping until a processor is a backup again', (t) => {
  const entries = [
    role(2, 1100, 'stopped'),
    role(2, 1300, 'booting'),
    role(2, 1500, 'joining'),
    role(2, 1900, 'primary'),
    role(1, 1900, 'stopped'),
    role(1, 2200, 'booting'),
    role(1, 2400, 'joining'),
    role(1, 2800, 'backup'),
  ];
  t.is(withoutBackupMs(entries, ['primary', 'backup'], 1000, 3000), 1700);
  // Entries outside the window do not count; a gap still open at its end runs to the end.
  t.is(withoutBackupMs(entries, ['primary', 'backup'], 1000, 2000), 900);
  // Entries before the window say what the boards were, over the statuses.
  t.is(withoutBackupMs(entries, ['primary', 'backup'], 2500, 3000), 300);
  t.is(withoutBackupMs([], ['primary', 'backup'], 0, 1000), 0);
  t.is(withoutBackupMs([], ['primary-alone', null], 0, 1000), 1000);
  t.is(withoutBackupMs([], [null, null], 0, 1000), null);
});

function cable(name: string, aToB: number, backlog = 0): CableStatus {
  const direction = (bytesWritten: number, back: number) => ({
    faults: {} as CableStatus['directions']['a-to-b']['faults'],
    bytesWritten,
    bytesDelivered: bytesWritten - back,
    bytesDropped: 0,
    backlog: back,
  });
  const end = { endpoint: '', open: true, pid: null, dtr: true, dsr: true, brk: false };
  return {
    name,
    baud: 115200,
    unplugged: false,
    a: end,
    b: end,
    directions: { 'a-to-b': direction(aToB, backlog), 'b-to-a': direction(0, 0) },
  } as unknown as CableStatus;
}

/** Frames and bytes per use (checkpoint, other, resent, bare), one path. */
type Uses = [number, number, number, number, number, number, number, number];

function sample(
  atMs: number,
  primaryUse: [Uses, Uses],
  sent: number,
  hub: [number, number],
  backlog = 0,
): LineSample {
  const p1: BoardStatus = boardStatus(1, 'primary', {
    lineUse: primaryUse,
    checkpointSentBytes: sent,
  });
  const p2: BoardStatus = boardStatus(2, 'backup');
  return {
    atMs,
    boards: [p1, p2],
    cables: [cable('path0', hub[0], backlog), cable('path1', hub[1])],
  };
}

test('line time: payload, envelope, framing, acks, retransmissions, unaccounted and idle add up to the line', (t) => {
  const idle: Uses = [0, 0, 0, 0, 0, 0, 0, 0];
  const before = sample(0, [idle, idle], 0, [0, 0]);
  // Path 0 in one second at 115200 (11,520 bytes of line): 10 checkpoint frames of
  // 1,000 bytes with 9,500 of payload, 2 resent frames of 200, 5 bare frames of 40.
  const after = sample(
    1000,
    [
      [10, 10_000, 0, 0, 2, 400, 5, 200],
      [0, 0, 0, 0, 0, 0, 20, 800],
    ],
    9_500,
    [10_700, 800],
    50,
  );
  const time = lineTime(before, after, 1, 115200);
  if (time === null) return t.fail('no line time');
  t.is(time.path, 0, 'the path that carried the most');
  t.is(time.capacityBytes, 11_520);
  t.is(time.payloadBytes, 9_500);
  t.is(time.framingBytes, 15 * 8);
  t.is(time.envelopeBytes, 10_000 - 80 - 9_500);
  t.is(time.resentBytes, 400);
  t.is(time.ackHeartbeatBytes, 200 - 40);
  t.is(time.unaccountedBytes, 10_650 - 10_600, 'the hub counts what left the sender');
  t.is(time.idleBytes, 11_520 - 10_650);
  const parts =
    time.payloadBytes +
    time.envelopeBytes +
    time.framingBytes +
    time.otherSegmentBytes +
    time.ackHeartbeatBytes +
    time.resentBytes +
    time.unaccountedBytes +
    time.idleBytes;
  t.is(parts, time.capacityBytes);
});

test('line time is not made up when a board restarted or did not answer', (t) => {
  const idle: Uses = [0, 0, 0, 0, 0, 0, 0, 0];
  const before = sample(0, [idle, idle], 0, [0, 0]);
  const after = sample(1000, [idle, idle], 0, [0, 0]);
  const restarted: LineSample = {
    ...after,
    boards: [{ ...(after.boards[0] as BoardStatus), bootCount: 9 }, after.boards[1]],
  };
  t.is(lineTime(before, restarted, 1, 115200), null);
  t.is(lineTime(before, { ...after, boards: [null, after.boards[1]] }, 1, 115200), null);
});

function durabilityWindow(fields: Partial<DurabilityWindow>): DurabilityWindow {
  return {
    durability: 'retained',
    clients: 48,
    seconds: 2,
    answered: 200,
    waitMsMedian: 10,
    stores: [],
    ...fields,
  };
}

test('durability cost: throughput, latency and store work per request from the windows, lifetime from the most-erased block', (t) => {
  const result: DurabilityResult = {
    baud: 115200,
    clients: 48,
    geometry: { eraseBlockBytes: 65536, writeBytes: 16, blockCount: 16, enduranceCycles: 100_000 },
    saturation: [
      durabilityWindow({ durability: 'memory', answered: 400 }),
      durabilityWindow({
        answered: 300,
        stores: [
          { processor: 1, writes: 300, bytesWritten: 24_000, erases: 0 },
          { processor: 2, writes: 100, bytesWritten: 31_500, erases: 0 },
        ],
      }),
    ],
    latency: [
      durabilityWindow({ durability: 'memory', clients: 1, waitMsMedian: 6 }),
      durabilityWindow({ clients: 1, waitMsMedian: 8.5 }),
    ],
    wear: {
      cycles: 1,
      seconds: 60,
      spans: [
        // P1: every block erased once in 36 s, its most-erased block twice: 200 an hour.
        {
          processor: 1,
          seconds: 36,
          answered: 3600,
          blockErasesMax: 2,
          blockErasesMin: 1,
          writes: 3000,
          bytesWritten: 600_000,
        },
        {
          processor: 2,
          seconds: 36,
          answered: 3600,
          blockErasesMax: 1,
          blockErasesMin: 1,
          writes: 1000,
          bytesWritten: 520_000,
        },
      ],
    },
  };
  const figures = new Map(durabilityFigures(result).map((f) => [f.id, f]));
  t.is(figures.get('durability.115200.throughput')?.value, 75);
  t.is(figures.get('durability.115200.latencyAdded')?.value, 2.5);
  t.is(figures.get('durability.115200.writesPerRequest')?.value, 1, 'the busier board: P1');
  t.is(figures.get('durability.115200.bytesPerRequest')?.value, 105, 'the busier board: P2');
  t.is(figures.get('durability.115200.erasesPerHour')?.value, 200, 'the most-erased block');
  const lifetime = figures.get('durability.115200.lifetimeYears');
  const years = 100_000 / 200 / 8766;
  t.is(lifetime?.value, Number(years.toPrecision(3)));
  t.is(
    figures.get('durability.115200.tenYearRequestRate')?.value,
    Number(((100 * years) / 10).toPrecision(3)),
    'the wear run went at 100 req/s',
  );
  t.false(lifetime?.met, 'short of ten years');
  t.regex(lifetime?.note ?? '', /100\.0 req\/s/);
});

test('durability cost: a wear run that completed no cycle gives no lifetime, and says why', (t) => {
  const result: DurabilityResult = {
    baud: 115200,
    clients: 48,
    geometry: { eraseBlockBytes: 65536, writeBytes: 16, blockCount: 16, enduranceCycles: 100_000 },
    saturation: [durabilityWindow({ durability: 'memory' }), durabilityWindow({})],
    latency: [],
    wear: { cycles: 1, seconds: 30, spans: [] },
  };
  const figures = new Map(durabilityFigures(result).map((f) => [f.id, f]));
  t.is(figures.get('durability.115200.erasesPerHour')?.value, null);
  t.is(figures.get('durability.115200.lifetimeYears')?.value, null);
  t.is(figures.get('durability.115200.writesPerRequest')?.value, null, 'no store counts read');
  t.regex(figures.get('durability.115200.erasesPerHour')?.note ?? '', /completed 1 erase cycle/);
});
