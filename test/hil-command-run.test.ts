/**
 * `tandem hil run --rig command` on the simulated lab: the rig's power
 * switch is the lab's power rails, reached through shell commands
 * (`tandem power pull|restore {board} --dir LAB`), the way a rig built on
 * labgrid or PDUDaemon reaches its own. A short campaign must check out and
 * write JUnit and TAP; a power command that fails, or one that does nothing,
 * must stop the run with the infrastructure exit code and say so in the
 * reports, never as a pass and never as violations found.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { CampaignResult } from '../hil/campaign.ts';
import { ExitCode } from '../host/cli/exit-codes.ts';
import { elementsNamed, parseXml } from './helpers/xml.ts';

function tandem(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/tandem.js', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A command rig whose commands switch the lab's rails in `lab`. */
function labCommandRig(root: string, lab: string, off?: string): string {
  const cli = `${JSON.stringify(process.execPath)} bin/tandem.js power`;
  const file = join(root, 'lab-commands.rig.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'lab-commands',
      kind: 'command',
      commands: {
        on: `${cli} restore {board} --dir ${JSON.stringify(lab)}`,
        off: off ?? `${cli} pull {board} --dir ${JSON.stringify(lab)}`,
        timeoutMs: 60_000,
      },
      boards: [{ processor: 1 }, { processor: 2 }],
    }),
  );
  return file;
}

async function commandCampaign(options: { pulls: number; seed: number; off?: string }) {
  const root = mkdtempSync(join(tmpdir(), 'tandem-hil-command-'));
  const lab = join(root, 'lab');
  const reportDir = join(root, 'reports');
  const tap = join(root, 'results.tap');
  const run = await tandem(
    [
      'hil',
      'run',
      '--rig',
      'command',
      '--profile',
      labCommandRig(root, lab, options.off),
      '--dir',
      lab,
      '--baud',
      '921600',
      '--pulls',
      String(options.pulls),
      '--seed',
      String(options.seed),
      '--report-dir',
      reportDir,
      '--tap',
      tap,
      '--json',
    ],
    { ...process.env, LAVA_JOB_ID: '4242' },
  );
  return { ...run, lab, reportDir, tap };
}

test.serial(
  'a campaign whose power commands switch the lab’s rails: nothing lost, JUnit and TAP',
  async (t) => {
    const run = await commandCampaign({ pulls: 2, seed: 11 });
    t.is(run.code, ExitCode.ok, run.stderr);
    const result = JSON.parse(run.stdout) as CampaignResult & { reports: { tap: string } };
    t.like(result, {
      rig: 'lab-commands',
      pulls: 2,
      lost: 0,
      duplicated: 0,
      splitBrain: 0,
      violations: [],
    });
    t.true(result.acknowledged > 0);
    t.is(result.reports.tap, run.tap);
    const junit = parseXml(readFileSync(join(run.reportDir, 'junit.xml'), 'utf8'));
    const pulls = elementsNamed(junit, 'testcase').filter((c) =>
      c.attributes.classname?.endsWith('.pulls'),
    );
    t.is(pulls.length, 2);
    t.is(elementsNamed(junit, 'failure').length + elementsNamed(junit, 'error').length, 0);
    const tap = readFileSync(run.tap, 'utf8').split('\n');
    t.is(tap[0], 'TAP version 14');
    t.is(tap[2], '1..6', 'two pulls and four invariants');
    t.is(tap.filter((line) => line.startsWith('ok ')).length, 6);
    t.false(tap.some((line) => line.startsWith('not ok')));
    // Inside a LAVA job, with --json, the test-case signals go to stderr.
    const signals = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('<LAVA_SIGNAL_TESTCASE'));
    t.is(signals.length, 6);
    t.true(signals.every((line) => line.endsWith('RESULT=pass>')));
    t.false(existsSync(join(run.lab, 'daemon.pid')), 'the lab was taken down');
  },
);

test.serial(
  'a power command that fails exits with the infrastructure code, never pass or fail',
  async (t) => {
    const run = await commandCampaign({
      pulls: 2,
      seed: 11,
      off: 'echo "relay {board} jammed" >&2; exit 3',
    });
    t.is(run.code, ExitCode.infrastructure, run.stderr);
    t.regex(run.stderr, /infrastructure \(power-command-failed\).* exited 3/);
    t.regex(run.stderr, /it said: relay \d jammed/);
    t.regex(run.stderr, /hint: run the command by hand/);
    const junit = parseXml(readFileSync(join(run.reportDir, 'junit.xml'), 'utf8'));
    const errors = elementsNamed(junit, 'error');
    t.is(errors.length, 1);
    t.is(errors[0]?.attributes.type, 'infrastructure');
    t.is(elementsNamed(junit, 'failure').length, 0);
    const tap = readFileSync(run.tap, 'utf8');
    t.regex(tap, /^1\.\.1$/m);
    t.regex(tap, /^not ok 1 - .*infrastructure \(power-command-failed\)$/m);
    t.regex(run.stderr, /<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=\S+ RESULT=fail>/);
    t.false(existsSync(join(run.lab, 'daemon.pid')), 'the lab was taken down');
  },
);

test.serial('a power switch that does nothing exits with the infrastructure code', async (t) => {
  // The off command succeeds but switches nothing: the pulled board keeps answering.
  const run = await commandCampaign({ pulls: 1, seed: 11, off: 'true {board}' });
  t.is(run.code, ExitCode.infrastructure, run.stderr);
  t.regex(run.stderr, /infrastructure \(power-ineffective\): P\d kept answering/);
  const junit = parseXml(readFileSync(join(run.reportDir, 'junit.xml'), 'utf8'));
  t.is(elementsNamed(junit, 'error')[0]?.attributes.type, 'infrastructure');
});

test('a management port that cannot open is infrastructure too', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-hil-command-ports-'));
  const run = await tandem([
    'hil',
    'check',
    '--rig',
    'command',
    '--profile',
    labCommandRig(root, join(root, 'lab')),
    '--hosts',
    '/dev/tandem-no-such-port-1,/dev/tandem-no-such-port-2',
  ]);
  t.is(run.code, ExitCode.infrastructure, run.stderr);
  t.regex(
    run.stderr,
    /infrastructure \(port-unavailable\): cannot open processor 1's management port/,
  );
  t.regex(run.stderr, /hint: `tandem ports` lists the serial ports/);
});

test('--rig command with a relay profile is a usage error', async (t) => {
  const run = await tandem([
    'hil',
    'check',
    '--rig',
    'command',
    '--profile',
    'hil/profiles/uno-relay-module.rig.json',
    '--hosts',
    '/dev/x1,/dev/x2',
  ]);
  t.is(run.code, ExitCode.usage, run.stderr);
  t.regex(run.stderr, /--rig command cannot use rig profile uno-relay-module of kind firmata/);
});
