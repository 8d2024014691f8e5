/**
 * The --json contract of `tandem simulate` that scripts rely on. Violations
 * are not asserted to be zero: the protocol is still being debugged; these
 * tests pin the shape of the output and the exit-code rule.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { runCli } from './fixtures/run-cli.ts';

/** A busy machine starts tsx slowly; these runs wait for the result, not for a clock. */
const CLI_TIMEOUT_MS = 180_000;

const CONTRACT_KEYS = [
  'seeds',
  'violations',
  'failingSeeds',
  'takeovers',
  'switches',
  'fallbacks',
  'acknowledged',
  'lost',
  'duplicated',
  'splitBrain',
  'doubleFailures',
  'lostToDoubleFailure',
  'faultsInjected',
  'virtualMs',
  'wallMs',
  'seedsPerMinute',
  'firstViolations',
] as const;

test('simulate --json prints one JSON object with the contract keys', async (t) => {
  const run = await runCli(
    ['simulate', '--seeds', '3', '--json', '--run-ms', '5000'],
    CLI_TIMEOUT_MS,
  );
  const result = JSON.parse(run.stdout) as Record<string, unknown>;
  for (const key of CONTRACT_KEYS) t.true(key in result, `has ${key}`);
  t.is(result.seeds, 3);
  t.true(Array.isArray(result.failingSeeds));
  t.is(typeof result.violations, 'number');

  // Exit code and stderr follow the violations, whatever their number.
  const failing = result.failingSeeds as number[];
  if (failing.length === 0) {
    t.is(run.code, 0);
  } else {
    t.is(run.code, 1);
    t.true(
      run.stderr.includes(`reproduce with: npx tandem simulate --seed ${failing[0]} --mode state`),
    );
  }
});

test('simulate --durability retained says so in the JSON and in its reproduce line', async (t) => {
  const run = await runCli(
    ['simulate', '--seeds', '2', '--durability', 'retained', '--json', '--run-ms', '5000'],
    CLI_TIMEOUT_MS,
  );
  const result = JSON.parse(run.stdout) as { durability: string; failingSeeds: number[] };
  t.is(result.durability, 'retained');
  const failing = result.failingSeeds[0];
  if (failing === undefined) t.is(run.code, 0);
  else t.regex(run.stderr, new RegExp(`--seed ${failing} --mode state --durability retained`));
  const memory = await runCli(
    ['simulate', '--seed', '3', '--run-ms', '2000', '--json'],
    CLI_TIMEOUT_MS,
  );
  t.is((JSON.parse(memory.stdout) as { durability: string }).durability, 'memory');
});

test('simulate --durability retained refuses an app that keeps its state in memory (exit 2, a hint)', async (t) => {
  const run = await runCli(
    [
      'simulate',
      '--durability',
      'retained',
      '--app',
      'test/fixtures/counter-app.ts',
      '--seeds',
      '1',
    ],
    CLI_TIMEOUT_MS,
  );
  t.is(run.code, 2);
  t.regex(run.stderr, /keeps its state in memory\n\s+hint: /);
  t.is(run.stdout, '');
});

test('simulate without --json prints a summary with double failures on their own line', async (t) => {
  const run = await runCli(['simulate', '--seeds', '2', '--run-ms', '3000'], CLI_TIMEOUT_MS);
  t.true(run.code === 0 || run.code === 1);
  t.regex(run.stdout, /^ {2}seeds +2$/m);
  t.regex(
    run.stdout,
    /^double failures \(both boards down; state not persisted by the app; not counted as passes of nothing-lost\): \d+$/m,
  );
  t.false(run.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');
});

test('simulate --seed replays one seed with its trace', async (t) => {
  const run = await runCli(['simulate', '--seed', '5', '--run-ms', '3000'], CLI_TIMEOUT_MS);
  t.true(run.code === 0 || run.code === 1);
  t.regex(run.stdout, /P1 {2}boots 1\.0\.0/);
  t.regex(run.stdout, /^seed 5$/m);
});

test('simulate --shard K/N --jsonl writes a line per seed; simulate merge adds shards up to one run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-shards-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const range = ['--seeds', '5', '--start-seed', '3', '--run-ms', '3000'];
  const whole = await runCli(['simulate', ...range, '--workers', '2', '--json'], CLI_TIMEOUT_MS);
  const files = [1, 2].map((k) => join(dir, `shard-${k}.jsonl`));
  for (const [i, file] of files.entries()) {
    const shard = await runCli(
      ['simulate', ...range, '--shard', `${i + 1}/2`, '--jsonl', file],
      CLI_TIMEOUT_MS,
    );
    t.true(shard.code === 0 || shard.code === 1, shard.stderr);
  }
  const seedsOf = (file: string) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { seed: number }).seed);
  t.deepEqual(seedsOf(files[0] as string), [3, 4]);
  t.deepEqual(seedsOf(files[1] as string), [5, 6, 7]);

  const merged = await runCli(
    ['simulate', 'merge', ...[...files].reverse(), '--json'],
    CLI_TIMEOUT_MS,
  );
  t.is(merged.code, whole.code);
  const withoutTimes = (stdout: string) => {
    const {
      wallMs: _w,
      seedsPerMinute: _s,
      ...rest
    } = JSON.parse(stdout) as Record<string, unknown>;
    return rest;
  };
  t.deepEqual(withoutTimes(merged.stdout), withoutTimes(whole.stdout));

  // Seeds 3, 4 and 7: seeds 5 and 6 are missing.
  const last = join(dir, 'last.jsonl');
  writeFileSync(
    last,
    readFileSync(files[1] as string, 'utf8')
      .trim()
      .split('\n')
      .at(-1) ?? '',
  );
  const missing = await runCli(['simulate', 'merge', files[0] as string, last], CLI_TIMEOUT_MS);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /hint: give every shard/);
});
