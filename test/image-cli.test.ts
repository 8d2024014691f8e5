/** `tandem keys generate` and `tandem build` as a user runs them. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadPublicKey } from '../boards/image/public-key.ts';
import { verifyImage } from '../boards/image/verify.ts';
import { runCli } from './fixtures/run-cli.ts';

const USAGE = 2;
const work = mkdtempSync(join(tmpdir(), 'tandem-image-cli-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

test('keys generate, then build with --json, gives a verifiable image', async (t) => {
  const keyDir = join(work, 'keys');
  const keys = await runCli(['keys', 'generate', '--out', keyDir, '--json']);
  t.is(keys.code, 0, keys.stderr);
  const { keyId, publicKeyPath } = JSON.parse(keys.stdout) as {
    keyId: string;
    publicKeyPath: string;
  };

  // A key already there is kept, and said so: replacing it takes --force.
  const again = await runCli(['keys', 'generate', '--out', keyDir, '--json']);
  t.is(again.code, 0, again.stderr);
  t.deepEqual(JSON.parse(again.stdout), { ...JSON.parse(keys.stdout), created: false });
  const human = await runCli(['keys', 'generate', '--out', keyDir]);
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, new RegExp(`key ${keyId} already there, kept[\\s\\S]*--force replaces it`));

  const out = join(work, 'ledger-2.img');
  const run = await runCli([
    'build',
    'ledger',
    '--version',
    '2.0.0',
    '--key',
    keyDir,
    '--out',
    out,
    '--board',
    'sim',
    '--json',
  ]);
  t.is(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as {
    path: string;
    bytes: number;
    sha256: string;
    manifest: { version: string; keyId: string; boards: string[] };
  };
  t.is(result.path, out);
  t.is(result.manifest.version, '2.0.0');
  t.is(result.manifest.keyId, keyId);
  t.deepEqual(result.manifest.boards, ['sim']);
  const image = readFileSync(out);
  t.is(image.length, result.bytes);
  t.notThrows(() =>
    verifyImage(image, { publicKeys: [loadPublicKey(publicKeyPath)], board: 'sim' }),
  );

  const humanBuild = await runCli([
    'build',
    'ledger@1.0.0',
    '--key',
    keyDir,
    '--out',
    join(work, 'v1.img'),
  ]);
  t.is(humanBuild.code, 0, humanBuild.stderr);
  t.regex(humanBuild.stdout, /v1\.img\n\s+\d+ bytes \(\d+\.\d KiB\), sha256 [0-9a-f]{64}/);
});

test('keys generate --force replaces a key; half a key pair is refused without it', async (t) => {
  const keyDir = join(work, 'replaced');
  const first = await runCli(['keys', 'generate', '--out', keyDir, '--json']);
  t.is(first.code, 0, first.stderr);
  const forced = await runCli(['keys', 'generate', '--out', keyDir, '--force', '--json']);
  t.is(forced.code, 0, forced.stderr);
  const [before, after] = [first, forced].map(
    (run) => JSON.parse(run.stdout) as { keyId: string; created: boolean },
  );
  t.true(after?.created);
  t.not(after?.keyId, before?.keyId);

  rmSync(join(keyDir, 'image-signing.pub'));
  const half = await runCli(['keys', 'generate', '--out', keyDir]);
  t.is(half.code, USAGE);
  t.regex(half.stderr, /image-signing\.pem already exists; pass --force/);
});

test('build refuses bad requests with exit 2 and a message, no stack trace', async (t) => {
  for (const [args, message] of [
    [['build', 'nope', '--key', work], /no app 'nope'/],
    [['build', 'ledger@1.0.0', '--key', join(work, 'no-keys')], /tandem keys generate/],
    [['build', 'ledger', '--mode', 'fast'], /--mode/],
  ] as const) {
    const run = await runCli(args);
    t.is(run.code, USAGE, run.stderr);
    t.regex(run.stderr, message);
    t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
  }
});

test('build --help and keys generate --help list their options', async (t) => {
  const build = await runCli(['build', '--help']);
  t.is(build.code, 0);
  for (const option of ['--version', '--out', '--key', '--board', '--mode', '--json']) {
    t.true(build.stdout.includes(option), option);
  }
  const keys = await runCli(['keys', 'generate', '--help']);
  t.is(keys.code, 0);
  t.regex(keys.stdout, /--force/);
});
