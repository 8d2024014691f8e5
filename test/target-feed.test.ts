/**
 * The monitor's and the dashboard's feed on any pair target, here made-up
 * targets and boards in memory: a target on ports (no power, no cables, no
 * bus) offers only what it has and refuses the rest with typed codes; a
 * target with a power backend that reads its rails (a lab) reports the
 * power, tells a pull it saw from one it made, and switches power through
 * the backend; each action's CLI equivalent names the target the way it
 * was named.
 */
import test from 'ava';
import type { JournalEntry, JournalPage } from '../boards/journal.ts';
import type { BoardStatus } from '../boards/management.ts';
import { wallClockMs } from '../boards/wall-clock.ts';
import type { PairReading } from '../host/dashboard/pair-feed.ts';
import { TargetFeed } from '../host/dashboard/target-feed.ts';
import type { BoardClient } from '../host/pair/board-client.ts';
import type {
  CableBackend,
  CableChange,
  PairTarget,
  PowerBackend,
  PowerState,
} from '../host/target/pair-target.ts';
import type { TargetSpec } from '../host/target/resolve-target.ts';
import { targetArguments } from '../host/target/target-arguments.ts';
import { PairTargetError } from '../host/target/target-error.ts';

const READ_TIMEOUT_MS = 1000;

/** A board that answers `status` and `journal` from memory; `record` adds a journal entry now. */
function fakeBoard(processor: 1 | 2) {
  const entries: JournalEntry[] = [];
  const state = { closed: false };
  const status: BoardStatus = {
    processor,
    bootCount: 1,
    slots: [],
    bootNotes: [],
    storeFailedBoots: 0,
    fence: 'none',
    store: null,
    pair: null,
  };
  const client = {
    label: `processor ${processor}`,
    request: async (request: { op: string; since?: number }) => {
      if (request.op === 'status') return status;
      if (request.op === 'journal') {
        const page = entries.filter((e) => e.seq > (request.since ?? 0)).slice(0, 12);
        return {
          powerOn: 1,
          entries: page,
          next: page.at(-1)?.seq ?? request.since ?? 0,
          dropped: false,
        } satisfies JournalPage;
      }
      throw new Error(`unexpected op ${request.op}`);
    },
    close: async () => {
      state.closed = true;
    },
  } as unknown as BoardClient;
  const record = (atMs: number) =>
    entries.push({ kind: 'fence', seq: entries.length + 1, atMs, boot: 1, version: '1.0.0' });
  return { client, record, state };
}

const portsSpec = (source: TargetSpec['source']): TargetSpec => ({
  kind: 'ports',
  boards: [
    { processor: 1, host: { path: '/dev/a', baud: 115200 } },
    { processor: 2, host: { path: '/dev/b', baud: 115200 } },
  ],
  imageBoard: 'linux',
  publicKeyFile: '/nowhere/key.pub',
  pairFile: '/bench/pair.json',
  source,
});

function fakeTarget(
  spec: TargetSpec,
  backends: { power?: PowerBackend; cable?: CableBackend } = {},
): PairTarget {
  return {
    spec,
    label: 'a made-up pair',
    openBoard: async () => {
      throw new Error('the feed was lent its boards');
    },
    openBoards: async () => {
      throw new Error('the feed was lent its boards');
    },
    bus: async () => {
      throw new PairTargetError('no-bus-ports', 'no bus', 'add --bus');
    },
    imageTrust: async () => {
      throw new PairTargetError('no-public-key', 'no key', 'make one');
    },
    power: backends.power ?? null,
    cable: backends.cable ?? null,
  };
}

test('on ports: boards and new journal entries read, power unknown, power and cable refused with their codes', async (t) => {
  const boards = [fakeBoard(1), fakeBoard(2)] as const;
  boards[0].record(wallClockMs() - 60_000);
  const feed = await TargetFeed.attach(fakeTarget(portsSpec({ via: 'option', option: '--port' })), [
    boards[0].client,
    boards[1].client,
  ]);
  try {
    t.deepEqual(feed.capabilities, {
      power: false,
      cables: 0,
      pushVersions: ['1.0.0', '2.0.0'],
      load: false,
    });
    boards[1].record(wallClockMs());
    const reading = await feed.read(READ_TIMEOUT_MS);
    t.deepEqual(
      reading.boards.map((b) => [b.processor, b.status?.processor, b.powered]),
      [
        [1, 1, null],
        [2, 2, null],
      ],
    );
    t.deepEqual(
      reading.entries.map((e) => [e.processor, e.kind]),
      [[2, 'fence']],
      'only what happened since the feed opened',
    );
    t.like(await feed.act({ kind: 'power', processor: 1, on: false }), {
      ok: false,
      code: 'no-power-backend',
    });
    t.like(await feed.act({ kind: 'cable', path: 0, cut: true }), {
      ok: false,
      code: 'no-cable-backend',
    });
    t.like(await feed.act({ kind: 'load', run: true }), { ok: false, code: 'unsupported' });
    t.is(
      feed.commandFor({ kind: 'switch', direction: 'fallback' }),
      'npx tandem fallback --port /dev/a,/dev/b',
    );
  } finally {
    await feed.close();
  }
  t.false(boards[0].state.closed, 'lent ports stay open');
});

test('with a power backend that reads its rails: power shown, a pull seen by polling and one made by the feed', async (t) => {
  const rails: Record<1 | 2, boolean> = { 1: true, 2: true };
  const set: [number, boolean][] = [];
  const cuts: CableChange[] = [];
  // While `hold` is set, a read answers what the rails were when it was asked, once released.
  let hold: { readonly released: Promise<void>; readonly asked: () => void } | null = null;
  const power: PowerBackend = {
    set: async (processor, on) => {
      set.push([processor, on]);
      rails[processor] = on;
    },
    read: async (): Promise<PowerState[]> => {
      const states: PowerState[] = [
        { processor: 1, on: rails[1], pid: null },
        { processor: 2, on: rails[2], pid: null },
      ];
      if (hold !== null) {
        const { released, asked } = hold;
        asked();
        await released;
      }
      return states;
    },
  };
  const cable: CableBackend = {
    change: async (change) => {
      cuts.push(change);
    },
    paths: async () => 2,
  };
  const boards = [fakeBoard(1), fakeBoard(2)] as const;
  const spec: TargetSpec = { kind: 'lab', dir: '/labs/x', source: { via: 'default' } };
  const feed = await TargetFeed.attach(fakeTarget(spec, { power, cable }), [
    boards[0].client,
    boards[1].client,
  ]);
  const changes: PairReading['powerChanges'][number][] = [];
  const read = async () => {
    const reading = await feed.read(READ_TIMEOUT_MS);
    changes.push(...reading.powerChanges);
    return reading;
  };
  try {
    t.like(feed.capabilities, { power: true, cables: 2 });
    t.deepEqual(
      (await read()).boards.map((b) => b.powered),
      [true, true],
    );
    // Another tool pulls processor 2: the feed sees it by polling.
    rails[2] = false;
    t.deepEqual(
      (await read()).boards.map((b) => b.powered),
      [true, false],
    );
    // A poll asked before the feed restores the power answers after it: old news, not a change.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await new Promise<void>((asked) => {
      hold = { released, asked };
    });
    hold = null;
    t.like(await feed.act({ kind: 'power', processor: 2, on: true }), { ok: true });
    t.deepEqual(set, [[2, true]]);
    release();
    await read();
    t.like(changes, [
      { processor: 2, on: false, byFeed: false },
      { processor: 2, on: true, byFeed: true },
    ]);
    t.is(changes.length, 2, 'the restore is not seen a second time by polling');
    t.like(await feed.act({ kind: 'cable', path: 1, cut: true }), { ok: true });
    t.like(cuts, [{ path: 1, faults: { cut: true }, restore: false }]);
    t.like(await feed.act({ kind: 'cable', path: 2, cut: true }), { ok: false, code: 'bad-path' });
    t.is(
      feed.commandFor({ kind: 'power', processor: 1, on: false }),
      'npx tandem power pull 1 --lab /labs/x',
    );
  } finally {
    await feed.close();
  }
});

test('the CLI names a target as it was named: --lab, --port with --bus and --baud, --pair, or nothing', (t) => {
  t.deepEqual(targetArguments({ kind: 'lab', dir: '/my labs/a', source: { via: 'default' } }), [
    '--lab',
    "'/my labs/a'",
  ]);
  const spec = portsSpec({ via: 'option', option: '--port' });
  const slow: TargetSpec =
    spec.kind === 'ports'
      ? {
          ...spec,
          boards: [
            {
              processor: 1,
              host: { path: '/dev/a', baud: 9600 },
              bus: { path: '/dev/c', baud: 9600 },
            },
            {
              processor: 2,
              host: { path: '/dev/b', baud: 9600 },
              bus: { path: '/dev/d', baud: 9600 },
            },
          ],
        }
      : spec;
  t.deepEqual(targetArguments(slow), ['--port', '/dev/a,/dev/b', '--baud', '9600']);
  t.deepEqual(targetArguments(slow, { bus: true }), [
    '--port',
    '/dev/a,/dev/b',
    '--bus',
    '/dev/c,/dev/d',
    '--baud',
    '9600',
  ]);
  t.deepEqual(targetArguments(portsSpec({ via: 'option', option: '--pair' })), [
    '--pair',
    '/bench/pair.json',
  ]);
  t.deepEqual(targetArguments(portsSpec({ via: 'env' })), []);
  t.deepEqual(targetArguments(portsSpec({ via: 'found', file: '/bench/tandem-pair.json' })), []);
});
