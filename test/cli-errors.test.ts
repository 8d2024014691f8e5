/** Bad input is a usage error naming the culprit, never a stack trace. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { generateKeys } from '../host/image/keys.ts';
import { runCli } from './fixtures/run-cli.ts';

const USAGE = 2;
const APP_MODULE = 3;

const badArguments: readonly (readonly [args: readonly string[], option: string])[] = [
  [['simulate', '--seeds', '-3'], '--seeds'],
  [['simulate', '--seeds', 'abc'], '--seeds'],
  [['simulate', '--mode', 'foo'], '--mode'],
  [['simulate', '--durability', 'flash'], '--durability'],
  [['simulate', '--run-ms', '0'], '--run-ms'],
  [['bench-simulate', '--seeds', '0'], '--seeds'],
  [['bench', '--engines', 'node,node'], '--engines'],
  [['simulate', '--bus', 'ring'], '--bus'],
  [['lab', 'up', '--engine', 'xs', '--xs-heap', '0'], '--xs-heap'],
  // Less than XS itself takes before an image loads.
  [['lab', 'up', '--engine', 'xs', '--xs-heap', '65536'], '--xs-heap'],
  // A fixed heap for XS boards where no board runs XS: refused before anything starts.
  [['lab', 'up', '--xs-heap', '262144'], '--xs-heap'],
  [['demo', '--xs-heap', '262144'], '--xs-heap'],
  [['demo', '--accounts', '0'], '--accounts'],
  [
    [
      'hil',
      'run',
      '--hosts',
      '/dev/null,/dev/null',
      '--bus',
      '/dev/null,/dev/null',
      '--shared-bus',
    ],
    '--shared-bus',
  ],
];

// One at a time, with a generous timeout (as below): seven CLIs starting at once from the
// sources on a busy 2-core machine took longer than the default 20 s.
for (const [args, option] of badArguments) {
  test.serial(`${args.join(' ')} exits ${USAGE} naming ${option}`, async (t) => {
    const run = await runCli(args, 120_000);
    t.is(run.code, USAGE);
    t.true(run.stderr.includes(option), run.stderr);
    t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
    t.is(run.stdout, '');
  });
}

test.serial('an unknown command exits 2', async (t) => {
  const run = await runCli(['simulat'], 120_000);
  t.is(run.code, USAGE);
  t.regex(run.stderr, /unknown command/);
});

test('--app pointing to a missing file exits 3 with a clear message', async (t) => {
  const run = await runCli(['simulate', '--app', 'test/fixtures/no-such-app.ts', '--seeds', '1']);
  t.is(run.code, APP_MODULE);
  t.regex(run.stderr, /app module test\/fixtures\/no-such-app\.ts not found/);
  t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
});

test('--app pointing to a module without the contract exits 3 saying what is missing', async (t) => {
  const run = await runCli(['simulate', '--app', 'test/fixtures/run-cli.ts', '--seeds', '1']);
  t.is(run.code, APP_MODULE);
  t.regex(run.stderr, /no default export and no export named 'simulation'/);
});

// What the file system says about a path the user named is bad input: exit 2,
// the path, what is wrong with it and a hint; never exit 70 with a stack trace.
const scratch = mkdtempSync(join(tmpdir(), 'tandem-cli-errors-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));
// A key of its own, so that build gets as far as writing (a clean clone has none).
const keyDir = join(scratch, 'keys');
generateKeys(keyDir);
// A Linux board's profile without a store, for `board run --store`.
const { store: _store, ...noStore } = JSON.parse(
  readFileSync('boards/profiles/linux-rpi-p1.board.json', 'utf8'),
) as Record<string, unknown>;
writeFileSync(
  join(scratch, 'no-store.board.json'),
  JSON.stringify({ ...noStore, $schema: undefined }),
);

/** A Linux board whose fence is on GPIO 17 of gpiochip0, its ports devices any Linux has. */
function gpioProfile(): string {
  const file = join(scratch, 'gpio.board.json');
  const profile = JSON.parse(readFileSync('boards/profiles/linux-rpi-p1.board.json', 'utf8'));
  const port = (path: string) => ({ path, baud: 115200 });
  profile.interconnect = [port('/dev/null'), port('/dev/zero')];
  profile.bus = port('/dev/full');
  profile.host = port('/dev/urandom');
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

const badPaths: readonly (readonly [args: readonly string[], message: RegExp])[] = [
  [['flash', 'no-such.img', '--board', '1'], /the image no-such\.img does not exist\n\s+hint: /],
  [['flash', 'host', '--board', '2'], /the image host is a directory, not a file\n\s+hint: /],
  [['push', 'no-such.img'], /the image no-such\.img does not exist\n\s+hint: .*tandem build/],
  [['push', 'host', '--port', '/dev/null,/dev/null'], /the image host is a directory/],
  [
    ['build', 'ledger', '--key', keyDir, '--out', 'host'],
    /the image file host is a directory.*\n\s+hint: .*--out/,
  ],
  [
    ['keys', 'generate', '--out', 'README.md'],
    /the key directory README\.md already exists and is not a directory\n\s+hint: /,
  ],
  [
    ['lab', 'up', '--dir', 'README.md/lab'],
    /the lab directory README\.md\/lab has a file where a directory should be/,
  ],
  [
    ['lab', 'up', '--dir', join(scratch, 'lab'), '--key', 'no-keys-here'],
    /no public key at no-keys-here\/image-signing\.pub; `tandem keys generate`/,
  ],
  [
    [
      'board',
      'run',
      '--profile',
      'boards/profiles/linux-rpi-p1.board.json',
      '--flash',
      join(scratch, 'flash.bin'),
      '--key',
      'host',
    ],
    /the public key file host is a directory/,
  ],
  [
    // The fence's GPIO comes first: without the libgpiod tools (or the line), a stop with a hint.
    [
      'board',
      'run',
      '--profile',
      gpioProfile(),
      '--flash',
      join(scratch, 'gpio-flash.bin'),
      '--key',
      join(keyDir, 'image-signing.pub'),
    ],
    /(the libgpiod tools are not installed|cannot use GPIO gpiochip0:17)[^\n]*\n\s+hint: /,
  ],
  [
    [
      'board',
      'run',
      '--profile',
      join(scratch, 'no-store.board.json'),
      '--flash',
      join(scratch, 'flash.bin'),
      '--store',
      join(scratch, 'store.bin'),
    ],
    /--store is given, but the profile has no "store" geometry\n\s+hint: /,
  ],
  [['demo', '--baud', '12345'], /--baud.*Must be a standard rate/],
  [['hil', 'run', '--baud', '12345'], /--baud.*Must be a standard rate/],
  [['hil', 'run', '--rig', 'command', '--profile', 'host'], /host: cannot read the rig profile/],
  [
    ['hil', 'run', '--report-dir', 'README.md'],
    /the report directory README\.md already exists and is not a directory/,
  ],
  [
    ['hil', 'run', '--report-dir', join(scratch, 'reports'), '--tap', 'host'],
    /the TAP file host is a directory\n\s+hint: /,
  ],
];

// One at a time, with a generous timeout: each starts a CLI, and the machine may be busy.
for (const [args, message] of badPaths) {
  test.serial(`${args.join(' ')} exits ${USAGE} saying what is wrong`, async (t) => {
    const run = await runCli(args, 120_000);
    t.is(run.code, USAGE, run.stderr);
    t.regex(run.stderr, message);
    t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
  });
}
