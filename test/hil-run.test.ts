/**
 * `tandem hil run` on the simulated lab, end to end: its own fresh lab, the
 * relays driven through johnny-five, client load, power pulls, the checks
 * and the reports. Short campaigns (a full one is `--pulls 50`); what they
 * must show: nothing acknowledged lost or done twice, never two boards
 * serving, and reports a CI system and a person can read.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { CampaignResult } from '../hil/campaign.ts';
import { elementsNamed, parseXml } from './helpers/xml.ts';

function tandem(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/tandem.js', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
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

type RunOutput = CampaignResult & { reports: { junit: string; html: string } };

async function campaign(scenario: string, pulls: number, seed: number) {
  const root = mkdtempSync(join(tmpdir(), 'tandem-hil-run-'));
  const reportDir = join(root, 'reports');
  const run = await tandem(
    'hil',
    'run',
    '--rig',
    'sim',
    '--dir',
    join(root, 'lab'),
    '--baud',
    '921600',
    '--scenario',
    scenario,
    '--pulls',
    String(pulls),
    '--seed',
    String(seed),
    '--report-dir',
    reportDir,
    '--json',
  );
  return { ...run, reportDir };
}

function checkReports(
  t: import('ava').ExecutionContext,
  result: RunOutput,
  reportDir: string,
  pulls: number,
) {
  t.is(result.reports.junit, join(reportDir, 'junit.xml'));
  const junit = parseXml(readFileSync(result.reports.junit, 'utf8'));
  const cases = elementsNamed(junit, 'testcase');
  t.is(cases.filter((c) => c.attributes.classname?.endsWith('.pulls')).length, pulls);
  t.deepEqual(
    cases
      .filter((c) => c.attributes.classname?.endsWith('.invariants'))
      .map((c) => c.attributes.name?.split(':')[0]),
    ['exactly-once', 'retries', 'split-brain', 'final-state'],
  );
  t.is(elementsNamed(junit, 'failure').length, 0, readFileSync(result.reports.junit, 'utf8'));
  const html = readFileSync(result.reports.html, 'utf8');
  t.regex(html, /<svg /);
  t.regex(html, /power pulled at/);
}

test.serial('takeover campaign: 4 pulls under load and during rejoins, nothing lost', async (t) => {
  const run = await campaign('takeover', 4, 11);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /seed 11 \(replay with --seed 11\)/);
  t.regex(run.stderr, /junit: .*junit\.xml/);
  const result = JSON.parse(run.stdout) as RunOutput;
  t.like(result, {
    seed: 11,
    rig: 'lab-relays',
    scenario: 'takeover',
    pulls: 4,
    lost: 0,
    duplicated: 0,
    splitBrain: 0,
    doubleFailures: 0,
    violations: [],
  });
  t.true(result.acknowledged > 0);
  for (const figure of [result.takeoverMs, result.reformMs]) {
    t.deepEqual(Object.keys(figure).sort(), ['count', 'max', 'p50', 'p99']);
  }
  t.true(result.takeoverMs.count > 0, 'seed 11 pulls a serving primary');
  // Every journal read bracketed both boards' clocks: the skew bound is measured, not assumed.
  t.is(result.interrupted, false);
  t.is(result.pullsPlanned, 4);
  t.is(typeof result.overlapsWithinSkew, 'number');
  for (const p of [1, 2] as const) {
    t.true(result.clockSkew.samples[p] > 0, `P${p}'s clock was bracketed`);
    t.is(typeof result.clockSkew.boundMs[p], 'number');
  }
  t.true((result.takeoverMs.p50 ?? 0) > 0);
  checkReports(t, result, run.reportDir, 4);
});

test.serial('upgrade campaign: pulls during switches and fallbacks', async (t) => {
  const run = await campaign('upgrade', 3, 12);
  t.is(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as RunOutput;
  t.like(result, { scenario: 'upgrade', pulls: 3, lost: 0, duplicated: 0, splitBrain: 0 });
  t.deepEqual(result.violations, []);
  checkReports(t, result, run.reportDir, 3);
});

test.serial(
  'Ctrl-C after the first pull: INCOMPLETE, exit 130, reports say so, the lab is down',
  async (t) => {
    // What a person at a terminal does: SIGINT to tandem alone (the lab daemon runs in its
    // own process group). The campaign finishes the pull under way, checks what it has,
    // writes its reports, takes the lab down, and never reports a pass.
    const root = mkdtempSync(join(tmpdir(), 'tandem-hil-stop-'));
    const lab = join(root, 'lab');
    const reportDir = join(root, 'reports');
    const child = spawn(
      process.execPath,
      [
        'bin/tandem.js',
        'hil',
        'run',
        '--rig',
        'sim',
        '--dir',
        lab,
        '--baud',
        '921600',
        '--pulls',
        '5',
        '--seed',
        '11',
        '--report-dir',
        reportDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // The first pull reported: interrupt, once.
      if (!interrupted && /pull 1\/5 /.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    t.true(interrupted, `the first pull was never reported:\n${stderr}`);
    t.is(code, 130, `${stdout}\n${stderr}`);
    t.regex(stderr, /interrupted; finishing this pull/);
    const stoppedAt = /INCOMPLETE: interrupted after (\d) of 5 pulls/.exec(stdout);
    t.truthy(stoppedAt, stdout);
    const done = Number(stoppedAt?.[1]);
    t.true(done >= 1 && done < 5, `stopped after ${done} pulls`);
    t.notRegex(stdout, /^PASS$/m);

    const result = JSON.parse(
      readFileSync(join(reportDir, 'result.json'), 'utf8'),
    ) as CampaignResult;
    t.like(result, { interrupted: true, pulls: done, pullsPlanned: 5, lost: 0, duplicated: 0 });
    const junit = parseXml(readFileSync(join(reportDir, 'junit.xml'), 'utf8'));
    const errors = elementsNamed(junit, 'error');
    t.is(errors.length, 1);
    t.is(errors[0]?.attributes.message, `the run was interrupted after ${done} of 5 pulls`);
    t.is(elementsNamed(junit, 'testsuite')[0]?.attributes.errors, '1');
    t.is(
      elementsNamed(junit, 'testcase').filter((c) => c.attributes.classname?.endsWith('.pulls'))
        .length,
      done,
    );
    t.regex(readFileSync(join(reportDir, 'report.html'), 'utf8'), /INCOMPLETE/);
    t.false(existsSync(join(lab, 'daemon.pid')), 'the lab was taken down');
  },
);
