/** Bad input is a usage error naming the culprit, never a stack trace. */
import test from 'ava';
import { runCli } from './fixtures/run-cli.ts';

const USAGE = 2;
const APP_MODULE = 3;

const badArguments: readonly (readonly [args: readonly string[], option: string])[] = [
  [['simulate', '--seeds', '-3'], '--seeds'],
  [['simulate', '--seeds', 'abc'], '--seeds'],
  [['simulate', '--mode', 'foo'], '--mode'],
  [['simulate', '--run-ms', '0'], '--run-ms'],
  [['bench-simulate', '--seeds', '0'], '--seeds'],
];

for (const [args, option] of badArguments) {
  test(`${args.join(' ')} exits ${USAGE} naming ${option}`, async (t) => {
    const run = await runCli(args);
    t.is(run.code, USAGE);
    t.true(run.stderr.includes(option), run.stderr);
    t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
    t.is(run.stdout, '');
  });
}

test('an unknown command exits 2', async (t) => {
  const run = await runCli(['simulat']);
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
