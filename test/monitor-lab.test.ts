/**
 * `tandem monitor` as a person runs it beside `tandem power pull`: its
 * output, captured for 10 seconds from the pull, shows the takeover as an
 * event, with its time. Behaviour only: the time is printed, not judged.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import test from 'ava';
import { REPO_ROOT, runCli } from './fixtures/run-cli.ts';
import { roles, startLab } from './helpers/lab-pair.ts';

const CAPTURE_MS = 10_000;
const START_TIMEOUT_MS = 60_000;

test.serial('monitor shows a takeover as an event during `tandem power pull`', async (t) => {
  const lab = await startLab({ flash: true });
  const primary = roles(await lab.statuses())[0] === 'primary' ? 1 : 2;
  const survivor = primary === 1 ? 2 : 1;
  // A management port has one owner, on the lab as on hardware: the monitor's from here on.
  for (const host of lab.hosts) await host.close();
  const monitor = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin/tandem.js'), 'monitor', '--dir', lab.config.dir],
    { cwd: REPO_ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  monitor.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  monitor.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => monitor.on('exit', resolve));
  // Resolves once `seen` holds after some output, or after `timeoutMs`.
  const until = async (seen: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!seen() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, deadline - Date.now());
        function finish() {
          clearTimeout(timer);
          monitor.stdout.off('data', finish);
          resolve();
        }
        monitor.stdout.on('data', finish);
      });
    }
  };
  try {
    await until(() => output.includes('REDUNDANT'), START_TIMEOUT_MS);
    t.regex(output, /REDUNDANT \(P[12] primary\)/, output);
    // Meanwhile another command cannot open the ports: bad input with a hint, not a crash.
    const status = await runCli(['status', '--dir', lab.config.dir]);
    t.is(status.code, 2, status.stderr);
    t.regex(status.stderr, /cannot open processor \d's management port/);
    t.regex(status.stderr, /hint: a running `tandem demo`, `tandem monitor`/);
    const pulled = await runCli(['power', 'pull', String(primary), '--dir', lab.config.dir]);
    t.is(pulled.code, 0, pulled.stderr);
    // The takeover event and the readiness line that follows it can come a refresh apart
    // (and a status read that timed out before the pull shows the other board alone for a refresh).
    const survivorAlone = new RegExp(`SOLO \\(P${survivor} alone\\)`);
    await until(() => /TAKEOVER/.test(output) && survivorAlone.test(output), CAPTURE_MS);
    t.log(output);
    t.regex(output, new RegExp(`P${primary} power pulled`));
    t.regex(output, new RegExp(`P${survivor} TAKEOVER in ~?\\d+ ms`));
    t.regex(output, survivorAlone);
    monitor.kill('SIGINT');
    t.is(await exited, 130, 'Ctrl-C exits 130, after closing the ports');
  } finally {
    monitor.kill('SIGKILL');
    await lab.close();
  }
});
