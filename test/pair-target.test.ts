/**
 * Pair targets: which pair a command acts on (options, then TANDEM_PAIR,
 * then a tandem-pair.json found walking up, then the lab), pair files and
 * their schema, and bad target input refused with a code, exit 2 and a hint.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { DEFAULT_LAB_DIR } from '../host/lab/lab.ts';
import {
  PAIR_FILE_NAME,
  PAIR_SCHEMA_FILE,
  pairFileSchema,
  parsePairFile,
} from '../host/target/pair-file.ts';
import { cableOf, openPairTarget, powerOf } from '../host/target/pair-target.ts';
import { byIdNames, describePorts } from '../host/target/port-list.ts';
import { findPairFile, resolveTarget, type TargetOptions } from '../host/target/resolve-target.ts';
import { PairTargetError, type PairTargetErrorCode } from '../host/target/target-error.ts';
import { runCli } from './fixtures/run-cli.ts';

const USAGE = 2;

function scratch(): string {
  return realpathSync(mkdtempSync(join(tmpdir(), 'tandem-target-')));
}

const goodPair = (prefix = '/dev/ttyUSB') => ({
  name: 'bench',
  boards: [
    {
      processor: 1,
      host: { path: `${prefix}0`, baud: 115200 },
      bus: { path: `${prefix}2`, baud: 9600 },
    },
    {
      processor: 2,
      host: { path: `${prefix}1`, baud: 115200 },
      bus: { path: `${prefix}3`, baud: 9600 },
    },
  ],
});

function writePair(dir: string, json: unknown, name = PAIR_FILE_NAME): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(json));
  return file;
}

const resolveIn = (cwd: string, options: TargetOptions = {}, env: Record<string, string> = {}) =>
  resolveTarget(options, { cwd, env });

async function refused(
  t: import('ava').ExecutionContext,
  promise: Promise<unknown>,
  code: PairTargetErrorCode,
): Promise<PairTargetError | undefined> {
  const error = await t.throwsAsync(promise, { instanceOf: PairTargetError });
  t.is(error?.code, code);
  t.true((error?.hint.length ?? 0) > 0, 'a hint');
  return error;
}

test('the committed schema is the generated one (run: npx tsx host/target/write-pair-schema.ts)', (t) => {
  t.deepEqual(
    JSON.parse(readFileSync(join('host/target', PAIR_SCHEMA_FILE), 'utf8')),
    pairFileSchema(),
  );
});

test('nothing named and no pair file: the lab in .tandem/lab, as before', async (t) => {
  const cwd = scratch();
  t.deepEqual(await resolveIn(cwd), {
    kind: 'lab',
    dir: join(cwd, DEFAULT_LAB_DIR),
    source: { via: 'default' },
  });
});

test('--dir still names a lab, as --lab does', async (t) => {
  const cwd = scratch();
  t.like(await resolveIn(cwd, { dir: 'labs/a' }), { kind: 'lab', dir: join(cwd, 'labs/a') });
  t.like(await resolveIn(cwd, { lab: 'labs/a', dir: 'labs/a' }), { kind: 'lab' });
  await refused(t, resolveIn(cwd, { lab: 'labs/a', dir: 'labs/b' }), 'conflicting-options');
});

test('--port names the management ports, --bus the field bus, --baud both', async (t) => {
  const cwd = scratch();
  const spec = await resolveIn(cwd, {
    port: ['/dev/a', '/dev/b'],
    bus: ['/dev/c', '/dev/d'],
    baud: 9600,
  });
  t.like(spec, {
    kind: 'ports',
    boards: [
      { processor: 1, host: { path: '/dev/a', baud: 9600 }, bus: { path: '/dev/c', baud: 9600 } },
      { processor: 2, host: { path: '/dev/b', baud: 9600 }, bus: { path: '/dev/d', baud: 9600 } },
    ],
    imageBoard: 'linux',
    publicKeyFile: join(cwd, '.tandem/keys/image-signing.pub'),
    source: { via: 'option', option: '--port' },
  });
  t.like(await resolveIn(cwd, { port: ['/dev/a', '/dev/b'] }), {
    boards: [{ host: { baud: 115200 } }, { host: { baud: 115200 } }],
  });
});

test('two ways of naming the pair at once are refused', async (t) => {
  const cwd = scratch();
  const file = writePair(cwd, goodPair(), 'p.json');
  await refused(t, resolveIn(cwd, { lab: 'x', port: ['/dev/a', '/dev/b'] }), 'conflicting-options');
  await refused(t, resolveIn(cwd, { dir: 'x', pair: file }), 'conflicting-options');
  await refused(
    t,
    resolveIn(cwd, { port: ['/dev/a', '/dev/b'], pair: file }),
    'conflicting-options',
  );
  await refused(t, resolveIn(cwd, { bus: ['/dev/a', '/dev/b'] }), 'conflicting-options');
  await refused(t, resolveIn(cwd, { lab: 'x', baud: 9600 }), 'conflicting-options');
});

test('options beat TANDEM_PAIR, which beats a pair file found walking up, which beats the lab', async (t) => {
  const root = scratch();
  const found = writePair(root, goodPair('/dev/found'));
  const fromEnv = writePair(root, goodPair('/dev/env'), 'env.json');
  const cwd = join(root, 'a', 'b');
  mkdirSync(cwd, { recursive: true });
  const env = { TANDEM_PAIR: fromEnv };
  t.like(await resolveIn(cwd, { lab: 'x' }, env), { kind: 'lab', source: { via: 'option' } });
  t.like(await resolveIn(cwd, { port: ['/dev/p', '/dev/q'] }, env), {
    boards: [{ host: { path: '/dev/p' } }],
  });
  t.like(await resolveIn(cwd, {}, env), {
    kind: 'ports',
    boards: [{ host: { path: '/dev/env0' } }, { host: { path: '/dev/env1' } }],
    source: { via: 'env' },
  });
  t.like(await resolveIn(cwd, {}, { TANDEM_PAIR: '' }), {
    boards: [{ host: { path: '/dev/found0' } }],
    source: { via: 'found', file: found },
  });
  t.is(findPairFile(cwd), found);
});

test('a pair file: ports, bus rates, its name, and paths relative to it', async (t) => {
  const dir = scratch();
  const file = writePair(
    dir,
    { ...goodPair(), publicKey: 'keys/pub', imageBoard: 'rpi' },
    'p.json',
  );
  t.like(await resolveIn(scratch(), { pair: file }), {
    kind: 'ports',
    pairName: 'bench',
    imageBoard: 'rpi',
    publicKeyFile: join(dir, 'keys/pub'),
    boards: [{ bus: { path: '/dev/ttyUSB2', baud: 9600 } }, { bus: { path: '/dev/ttyUSB3' } }],
  });
});

test('a pair file names each board by its profile too: checked, and its kind is the image board', async (t) => {
  const dir = scratch();
  const profile = (processor: number, kind = 'linux') => ({
    name: `p${processor}`,
    kind,
    processor,
    interconnect: [{ path: `/dev/ttyAMA${processor}`, baud: 115200 }],
    host: { path: `/dev/ttyGS${processor}`, baud: 115200 },
    bus: { path: `/dev/ttyAMA${processor + 2}`, baud: 115200 },
    lines: { dsrFromPartner: false, fenceToPartnerReset: false },
    flash: { slotBytes: 1024, nvmBytes: 64 },
  });
  writeFileSync(join(dir, 'p1.board.json'), JSON.stringify(profile(1)));
  writeFileSync(join(dir, 'p2.board.json'), JSON.stringify(profile(2)));
  const withProfiles = (names: [string, string]) => ({
    ...goodPair(),
    boards: goodPair().boards.map((b, i) => ({ ...b, profile: names[i] })),
  });
  const good = writePair(dir, withProfiles(['p1.board.json', 'p2.board.json']), 'good.json');
  t.like(await resolveIn(scratch(), { pair: good }), { imageBoard: 'linux' });
  const swapped = writePair(dir, withProfiles(['p2.board.json', 'p1.board.json']), 'swapped.json');
  await refused(t, resolveIn(dir, { pair: swapped }), 'bad-profile');
  const missing = writePair(dir, withProfiles(['p1.board.json', 'nope.json']), 'missing.json');
  const error = await refused(t, resolveIn(dir, { pair: missing }), 'bad-profile');
  t.regex(error?.message ?? '', /boards\[1\]\.profile: .*nope\.json/);
});

test('a missing, unreadable or bad pair file is refused, naming the file and the field', async (t) => {
  const dir = scratch();
  await refused(t, resolveIn(dir, { pair: 'nope.json' }), 'pair-file-unreadable');
  await refused(
    t,
    resolveIn(dir, {}, { TANDEM_PAIR: join(dir, 'nope.json') }),
    'pair-file-unreadable',
  );
  writeFileSync(join(dir, 'cut.json'), '{"name":');
  const cut = await refused(t, resolveIn(dir, { pair: 'cut.json' }), 'bad-pair-file');
  t.regex(cut?.message ?? '', /^cut\.json: not valid JSON/);
  // A bad pair file found walking up is an error too, not a silent fall back to the lab.
  writeFileSync(join(dir, PAIR_FILE_NAME), '[]');
  await refused(t, resolveIn(dir), 'bad-pair-file');
});

test('bad pair files name the field and what is expected', (t) => {
  const bad = (json: unknown, field: RegExp) => {
    const error = t.throws(() => parsePairFile(json, 'bad.json'), { instanceOf: PairTargetError });
    t.is(error?.code, 'bad-pair-file');
    t.regex(error?.message ?? '', field);
    t.regex(error?.message ?? '', /^bad\.json: /);
  };
  bad('nope', /expected an object/);
  bad({ ...goodPair(), boards: [goodPair().boards[0]] }, /"boards" has 1 entry/);
  bad({ ...goodPair(), extra: 1 }, /"extra" is not a field of a pair file/);
  const [p1, p2] = goodPair().boards;
  bad({ ...goodPair(), boards: [p1, { ...p2, processor: 1 }] }, /boards\[1\]\.processor/);
  bad(
    { ...goodPair(), boards: [p1, { ...p2, host: { path: '/dev/ttyUSB0', baud: 115200 } }] },
    /boards\[1\]\.host\.path.*same port as boards\[0\]\.host\.path/,
  );
  bad(
    { ...goodPair(), boards: [p1, { ...p2, host: { path: '/dev/x', baud: 1234 } }] },
    /boards\[1\]\.host\.baud.*standard baud rate/,
  );
});

test('a port that does not exist is refused when opened, naming it', async (t) => {
  const dir = scratch();
  const target = openPairTarget(
    await resolveIn(dir, { port: [join(dir, 'no-such-tty1'), join(dir, 'no-such-tty2')] }),
  );
  const error = await refused(t, target.openBoard(1), 'port-unopenable');
  t.regex(error?.message ?? '', /cannot open serial port .*no-such-tty1/);
  await refused(t, target.openBoards(), 'port-unopenable');
});

test('ports have no power or cable backend, and a command that needs the bus says what to add', async (t) => {
  const target = openPairTarget(await resolveIn(scratch(), { port: ['/dev/a', '/dev/b'] }));
  t.is(target.power, null);
  t.is(target.cable, null);
  t.throws(() => powerOf(target), { instanceOf: PairTargetError, message: /no power backend/ });
  t.throws(() => cableOf(target), { instanceOf: PairTargetError, message: /no cable backend/ });
  await refused(t, target.bus(), 'no-bus-ports');
  await refused(t, target.imageTrust(), 'no-public-key');
  const lab = openPairTarget(await resolveIn(scratch(), { lab: 'x' }));
  t.not(lab.power, null);
  t.not(lab.cable, null);
});

test('by-id names map each device to its stable link', (t) => {
  const dir = scratch();
  const byId = join(dir, 'by-id');
  mkdirSync(byId);
  writeFileSync(join(dir, 'ttyUSB0'), '');
  writeFileSync(join(dir, 'ttyUSB1'), '');
  symlinkSync(join(dir, 'ttyUSB0'), join(byId, 'usb-FTDI_FT232R_A1-if00-port0'));
  symlinkSync(join(dir, 'gone'), join(byId, 'usb-dangling'));
  const names = byIdNames(byId);
  t.is(names.get(join(dir, 'ttyUSB0')), join(byId, 'usb-FTDI_FT232R_A1-if00-port0'));
  t.is(names.size, 1);
  t.is(byIdNames(join(dir, 'none')).size, 0);
  t.deepEqual(
    describePorts(
      [
        {
          path: join(dir, 'ttyUSB0'),
          manufacturer: 'FTDI',
          vendorId: '0403',
          productId: '6001',
          serialNumber: 'A1',
          pnpId: undefined,
          locationId: undefined,
        },
        {
          path: join(dir, 'ttyUSB1'),
          manufacturer: undefined,
          vendorId: undefined,
          productId: undefined,
          serialNumber: undefined,
          pnpId: undefined,
          locationId: undefined,
        },
      ],
      names,
    ),
    [
      {
        path: join(dir, 'ttyUSB0'),
        manufacturer: 'FTDI',
        vendorId: '0403',
        productId: '6001',
        serialNumber: 'A1',
        byId: join(byId, 'usb-FTDI_FT232R_A1-if00-port0'),
      },
      {
        path: join(dir, 'ttyUSB1'),
        manufacturer: null,
        vendorId: null,
        productId: null,
        serialNumber: null,
        byId: null,
      },
    ],
  );
});

// Through the CLI: exit 2, the message and a hint, no stack trace.
const cliRefusals: readonly (readonly [args: readonly string[], message: RegExp])[] = [
  [['status', '--lab', 'x', '--port', '/dev/a,/dev/b'], /--lab and --port each name a pair/],
  [['status', '--pair', 'no-such-pair.json'], /no-such-pair\.json: cannot read the pair file/],
  [
    ['status', '--port', '/dev/no-such-tty-a,/dev/no-such-tty-b'],
    /cannot open serial port \/dev\/no-such-tty-a/,
  ],
  [['journal', '--port', '/dev/no-such-tty-a,/dev/no-such-tty-b'], /cannot open serial port/],
  // A path that is there but is no serial device will not open either.
  [
    ['status', '--port', 'README.md,README.md'],
    /cannot open serial port README\.md: .*\n\s+hint: check the path with `tandem ports`/,
  ],
  [['power', 'pull', '1', '--port', '/dev/a,/dev/b'], /no power backend/],
  [['cable', 'cut', '0', '--port', '/dev/a,/dev/b'], /no cable backend/],
  [['load', '--port', '/dev/a,/dev/b'], /names none/],
  [['status', '--port', '/dev/a'], /--port/],
  [
    ['board', 'run', '--profile', 'no-such.board.json', '--flash', 'f'],
    /cannot read the board profile/,
  ],
  [
    ['board', 'run', '--profile', 'boards/profiles/sim-p1.board.json', '--flash', 'f'],
    /runs a 'linux' board/,
  ],
];

// One at a time, with room: a CLI start compiles the sources, and the machine is shared.
const CLI_TIMEOUT_MS = 90_000;

for (const [args, message] of cliRefusals) {
  test.serial(`tandem ${args.join(' ')} exits 2 saying what is wrong`, async (t) => {
    const run = await runCli(args, CLI_TIMEOUT_MS);
    t.is(run.code, USAGE, run.stderr);
    t.regex(run.stderr, message);
    t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
    t.is(run.stdout, '');
  });
}

test.serial('a bad pair file named by TANDEM_PAIR exits 2 with a hint', async (t) => {
  const dir = scratch();
  const file = writePair(dir, { name: 'x' }, 'p.json');
  const run = await runCli(['status'], CLI_TIMEOUT_MS, undefined, { TANDEM_PAIR: file });
  t.is(run.code, USAGE);
  t.regex(run.stderr, /field "boards" is missing/);
  t.regex(run.stderr, /hint: .*pair\.schema\.json/);
});
