/**
 * `tandem hil run` on the simulated lab, end to end: its own fresh lab, the
 * relays driven through johnny-five, client load, power pulls, the checks
 * and the reports. Short campaigns (a full one is `--pulls 50`); what they
 * must show: nothing acknowledged lost or done twice, never two boards
 * serving, and reports a CI system and a person can read.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
