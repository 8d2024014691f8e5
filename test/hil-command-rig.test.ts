/**
 * The `command` power backend: the profile's shell commands run with the
 * board's name for {board}, in order; a command that fails or outlasts its
 * timeout is an infrastructure failure carrying what it said. And the
 * result formats for CI farms besides JUnit: TAP and LAVA's test-case lines.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parseRigProfile } from '../boards/rig-profile.ts';
import { checkOutcome, type RigCheckResult } from '../hil/check.ts';
import { openCommandRig } from '../hil/command-rig.ts';
import { isInfrastructureError } from '../hil/infrastructure.ts';
import type { JunitSuite } from '../hil/junit.ts';
import { inLava, lavaTestCaseLines } from '../hil/lava.ts';
import { tapReport } from '../hil/tap.ts';

function rigLoggingTo(commands: Record<string, unknown>) {
  const log = join(mkdtempSync(join(tmpdir(), 'tandem-command-rig-')), 'power.log');
  const profile = parseRigProfile(
    {
      name: 'logged',
      kind: 'command',
      commands: Object.fromEntries(
        Object.entries(commands).map(([key, value]) => [
          key,
          typeof value === 'string' ? value.replaceAll('LOG', log) : value,
        ]),
      ),
      boards: [
        { processor: 1, name: 'pdu-3' },
        { processor: 2, name: 'pdu-4' },
      ],
    },
    'logged.rig.json',
  );
  return { rig: openCommandRig(profile), said: () => readFileSync(log, 'utf8').trim().split('\n') };
}

test('each action runs its command with the board’s name for {board}', async (t) => {
  const { rig, said } = rigLoggingTo({
    on: 'echo on {board} >> LOG',
    off: 'echo off {board} >> LOG',
    cycle: 'echo cycle {board} >> LOG',
  });
  await rig.setPower(2, false);
  await rig.setPower(2, true);
  await rig.cycle?.(1);
  t.deepEqual(said(), ['off pdu-4', 'on pdu-4', 'cycle pdu-3']);
});

test('without a cycle command, a cycle is off then on', async (t) => {
  const { rig, said } = rigLoggingTo({
    on: 'echo on {board} >> LOG',
    off: 'echo off {board} >> LOG',
  });
  await rig.cycle?.(2);
  t.deepEqual(said(), ['off pdu-4', 'on pdu-4']);
});

test('a failing command is an infrastructure failure saying what it printed', async (t) => {
  const { rig } = rigLoggingTo({
    on: 'true {board}',
    off: 'echo "relay {board} jammed" >&2; exit 3',
  });
  const error = await t.throwsAsync(rig.setPower(1, false));
  t.true(isInfrastructureError(error));
  t.like(error, { code: 'power-command-failed' });
  t.regex(error?.message ?? '', /P1 off exited 3: echo .*\n {2}it said: relay pdu-3 jammed/);
});

test('a command that outlasts its timeout is stopped and fails', async (t) => {
  const { rig } = rigLoggingTo({ on: 'sleep 30 # {board}', off: 'true {board}', timeoutMs: 200 });
  const error = await t.throwsAsync(rig.setPower(2, true));
  t.like(error, { code: 'power-command-failed' });
  t.regex(error?.message ?? '', /P2 on was stopped after 200 ms/);
});

const noProblems: RigCheckResult = { ok: true, rig: 'r', boards: [], problems: [] };
const problem = (code: 'stayed-powered' | 'cut-other' | 'never-answers', processor: 1 | 2) => ({
  code,
  processor,
  message: code,
});

test('a check’s outcome: swapped pins are findings, a switch that does nothing is infrastructure', (t) => {
  t.is(checkOutcome(noProblems), 'pass');
  t.is(
    checkOutcome({
      ...noProblems,
      ok: false,
      problems: [problem('stayed-powered', 1), problem('cut-other', 1)],
    }),
    'findings',
  );
  t.is(
    checkOutcome({ ...noProblems, ok: false, problems: [problem('stayed-powered', 2)] }),
    'infrastructure',
  );
  t.is(
    checkOutcome({ ...noProblems, ok: false, problems: [problem('never-answers', 1)] }),
    'infrastructure',
  );
  t.is(
    checkOutcome({ ...noProblems, ok: false, problems: [{ code: 'rig', message: 'gone' }] }),
    'infrastructure',
  );
});

const suite: JunitSuite = {
  name: 'tandem hil run takeover (pdu, seed 5)',
  timestamp: '2026-01-01T00:00:00.000Z',
  timeS: 3,
  cases: [
    { name: 'pull 1: load, P1 (primary)', classname: 'hil.takeover.pulls', timeS: 1 },
    {
      name: 'pull 2: load, P2 (backup) #2',
      classname: 'hil.takeover.pulls',
      timeS: 1,
      failure: { message: 'the pair did not re-form', detail: 'line 1\n"quoted"' },
    },
    {
      name: 'pull 3: switch',
      classname: 'hil.takeover.pulls',
      timeS: 0,
      skipped: 'double failure by design',
    },
    {
      name: 'campaign: infrastructure (power-command-failed)',
      classname: 'hil.takeover.campaign',
      timeS: 0,
      error: { message: 'exited 3', detail: 'exited 3', type: 'infrastructure' },
    },
  ],
};

test('TAP: a plan, ok and not ok with YAML saying why, skips as # SKIP, # escaped', (t) => {
  t.is(
    tapReport(suite),
    [
      'TAP version 14',
      '# tandem hil run takeover (pdu, seed 5)',
      '1..4',
      'ok 1 - hil.takeover.pulls: pull 1: load, P1 (primary)',
      'not ok 2 - hil.takeover.pulls: pull 2: load, P2 (backup) \\#2',
      '  ---',
      '  severity: "fail"',
      '  message: "the pair did not re-form"',
      '  detail: "line 1\\n\\"quoted\\""',
      '  ...',
      'ok 3 - hil.takeover.pulls: pull 3: switch # SKIP double failure by design',
      'not ok 4 - hil.takeover.campaign: campaign: infrastructure (power-command-failed)',
      '  ---',
      '  severity: "infrastructure"',
      '  message: "exited 3"',
      '  detail: "exited 3"',
      '  ...',
      '',
    ].join('\n'),
  );
});

test('LAVA: one test-case signal per case, ids without spaces, only inside a LAVA job', (t) => {
  t.deepEqual(lavaTestCaseLines(suite), [
    '<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=hil.takeover.pulls.pull-1-load-P1-primary RESULT=pass>',
    '<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=hil.takeover.pulls.pull-2-load-P2-backup-2 RESULT=fail>',
    '<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=hil.takeover.pulls.pull-3-switch RESULT=skip>',
    '<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=hil.takeover.campaign.campaign-infrastructure-power-command-failed RESULT=fail>',
  ]);
  t.true(inLava({ LAVA_JOB_ID: '6053089' }));
  t.false(inLava({}));
  t.false(inLava({ LAVA_JOB_ID: '' }));
});
