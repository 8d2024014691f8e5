/**
 * `tandem hil faults` through the real CLI: a short table (two cheap fault
 * classes, one run each) on its own fresh lab, whose JSON has a row per
 * class and whose exit code follows what the rows say; and bad arguments,
 * which exit 2 with a hint before any lab starts. The full table, and what
 * it measures, is a run of the command (README, HIL), not a test.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { SingleFaultTable } from '../hil/single-faults.ts';
import { runCli } from './fixtures/run-cli.ts';

const USAGE = 2;
/** A lab start, two faults and two settles on a loaded machine. */
const RUN_TIMEOUT_MS = 240_000;

test('hil faults --runs 1 prints a row per class and exits by what the rows say', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'tandem-hil-faults-')), 'faults');
  const classes = ['power-backup', 'stall-backup'];
  const args = ['hil', 'faults', '--classes', classes.join(','), '--runs', '1'];
  const run = await runCli([...args, '--dir', dir, '--seed', '11', '--json'], RUN_TIMEOUT_MS);
  t.regex(run.stderr, /seed 11/);
  const table = JSON.parse(run.stdout) as SingleFaultTable;
  t.is(table.seed, 11);
  t.is(table.runsPerClass, 1);
  t.false(table.interrupted);
  t.deepEqual(
    table.classes.map((row) => row.class),
    classes,
  );
  for (const row of table.classes) {
    t.is(row.runs, 1);
    t.true(row.acknowledged > 0, `${row.class}: load ran`);
    for (const figure of [
      row.lost,
      row.duplicated,
      row.splitBrain,
      row.longestGapMs,
      row.falseTakeovers,
      row.takeovers,
    ]) {
      t.true(Number.isInteger(figure) && figure >= 0, JSON.stringify(row));
    }
    t.is(typeof row.description, 'string');
  }
  t.is(table.runs.length, 2);
  const clean = table.classes.every(
    (r) => r.lost === 0 && r.duplicated === 0 && r.splitBrain === 0 && r.violations.length === 0,
  );
  t.is(run.code, clean ? 0 : 1, run.stderr);
  t.log(run.stderr.trim());
});

const badArguments: readonly (readonly [args: readonly string[], hint: RegExp])[] = [
  [['--runs', '0'], /--runs/],
  [['--classes', 'power-primary,no-such-fault'], /"no-such-fault".*choose from power-primary/],
  [['--soak', '0'], /--soak/],
  [['--soak', '10', '--classes', 'stall-wires'], /--soak runs no faults: drop --classes/],
  [['--seed', '-1'], /--seed/],
];

for (const [args, hint] of badArguments) {
  test(`hil faults ${args.join(' ')} exits ${USAGE} with a hint`, async (t) => {
    const run = await runCli(['hil', 'faults', ...args]);
    t.is(run.code, USAGE);
    t.regex(run.stderr, hint);
    t.false(/\n\s+at /.test(run.stderr), 'no stack trace');
    t.is(run.stdout, '');
  });
}
