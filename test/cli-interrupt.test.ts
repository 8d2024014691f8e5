/**
 * Ctrl-C (SIGINT) ends a command with exit 130 after it has cleaned up what
 * it started: `load` stops its clients and prints the accounting so far;
 * `demo` takes its lab down, even one still starting; `monitor` and
 * `dashboard` close the boards' ports (and the dashboard its web server).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { REPO_ROOT, runCli } from './fixtures/run-cli.ts';
import { startLab } from './helpers/lab-pair.ts';

const INTERRUPTED = 130;
const LAB_NOT_RUNNING = 4;

interface Interrupted {
  readonly sent: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI and sends it SIGINT once its output matches `when`. */
function interruptWhen(args: readonly string[], when: RegExp): Promise<Interrupted> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/tandem.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  const check = () => {
    if (!sent && when.test(stdout + stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    check();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    check();
  });
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ sent, code, stdout, stderr })),
  );
}

test('Ctrl-C stops load: the accounting so far, then exit 130', async (t) => {
  const pair = await startLab({ flash: true });
  t.teardown(() => pair.close());
  const run = await interruptWhen(
    ['load', '--lab', pair.config.dir, '--seconds', '3600', '--clients', '2', '--json'],
    /tandem load: 2 clients for 3600 s/,
  );
  t.true(run.sent, `load never said it was running:\n${run.stderr}`);
  t.is(run.code, INTERRUPTED, `${run.stdout}\n${run.stderr}`);
  t.regex(run.stderr, /interrupted; waiting for the requests in flight/);
  const result = JSON.parse(run.stdout) as Record<string, unknown>;
  t.like(result, { interrupted: true, lost: 0, duplicated: 0, allAnswered: true, violations: [] });
  t.is(typeof result.acknowledged, 'number');
});

test('Ctrl-C while the demo starts its lab takes the lab down, then exit 130', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-demo-interrupt-'));
  const dir = join(root, 'lab');
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const run = await interruptWhen(
    ['demo', '--dir', dir, '--baud', '921600', '--load-ms', '600000'],
    /starting the lab/,
  );
  t.true(run.sent, `the demo never started its lab:\n${run.stdout}\n${run.stderr}`);
  t.is(run.code, INTERRUPTED, `${run.stdout}\n${run.stderr}`);
  t.regex(run.stderr, /interrupted; taking the lab in .* down/);
  t.notRegex(run.stdout, /PASS/);
  t.false(existsSync(join(dir, 'daemon.pid')), 'the lab daemon is gone');
  const status = await runCli(['status', '--lab', dir], 120_000);
  t.is(status.code, LAB_NOT_RUNNING, status.stderr);
});

test('Ctrl-C during the demo load takes the lab down, then exit 130', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-demo-interrupt-'));
  const dir = join(root, 'lab');
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const run = await interruptWhen(
    ['demo', '--dir', dir, '--baud', '921600', '--load-ms', '600000'],
    /load running: 8 clients/,
  );
  t.true(run.sent, `the demo never reached its load:\n${run.stdout}\n${run.stderr}`);
  t.is(run.code, INTERRUPTED, `${run.stdout}\n${run.stderr}`);
  t.false(existsSync(join(dir, 'daemon.pid')), 'the lab daemon is gone');
  const status = await runCli(['status', '--lab', dir], 120_000);
  t.is(status.code, LAB_NOT_RUNNING, status.stderr);
});

for (const [command, args, when, cleanup] of [
  ['monitor', [], /REDUNDANT/, /tandem monitor: interrupted; closing the boards' ports/],
  [
    'dashboard',
    ['--http-port', '0'],
    /dashboard of .*: http:/,
    /tandem dashboard: interrupted; stopping the server, closing the boards' ports/,
  ],
] as const) {
  test.serial(`Ctrl-C stops ${command}: the boards' ports closed, then exit 130`, async (t) => {
    const pair = await startLab({ flash: true });
    t.teardown(() => pair.close());
    // A management port has one owner: the command's while it runs.
    for (const host of pair.hosts) await host.close();
    const run = await interruptWhen([command, '--lab', pair.config.dir, ...args], when);
    t.true(run.sent, `${command} never got going:\n${run.stdout}\n${run.stderr}`);
    t.is(run.code, INTERRUPTED, `${run.stdout}\n${run.stderr}`);
    t.regex(run.stderr, cleanup);
    const status = await runCli(['status', '--lab', pair.config.dir], 120_000);
    t.is(status.code, 0, status.stderr);
  });
}
