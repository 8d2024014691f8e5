/** Every command documents itself, and help is a success, not an error. */
import test from 'ava';
import { runCli } from './fixtures/run-cli.ts';

test('tandem --help lists the commands and exits 0', async (t) => {
  const run = await runCli(['--help']);
  t.is(run.code, 0);
  t.regex(run.stdout, /Usage: tandem/);
  t.regex(run.stdout, /simulate/);
  t.regex(run.stdout, /bench-simulate/);
});

test('tandem simulate --help lists its options and exits 0', async (t) => {
  const run = await runCli(['simulate', '--help']);
  t.is(run.code, 0);
  for (const option of [
    '--seeds',
    '--start-seed',
    '--seed',
    '--mode',
    '--app',
    '--run-ms',
    '--json',
  ]) {
    t.true(run.stdout.includes(option), `help mentions ${option}`);
  }
});

test('tandem bench-simulate --help exits 0', async (t) => {
  const run = await runCli(['bench-simulate', '--help']);
  t.is(run.code, 0);
  t.regex(run.stdout, /--seeds/);
});

test('tandem --version prints the package version', async (t) => {
  const run = await runCli(['--version']);
  t.is(run.code, 0);
  t.regex(run.stdout.trim(), /^\d+\.\d+\.\d+/);
});
