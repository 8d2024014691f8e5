import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import test, { type ExecutionContext } from 'ava';
import { HubClient } from '../host/lab/hub/control.ts';
import { startHub } from '../host/lab/hub/main.ts';
import { SimBinding } from '../host/lab/serial/sim-binding.ts';
import { REPO_ROOT } from './fixtures/run-cli.ts';

// Boards and the hub as real OS processes: a power pull is a SIGKILL.

const CABLE = { name: 'path0', a: 'p1-path0', b: 'p2-path0', baud: 115_200 };

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-serial-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Child {
  readonly process: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited and its output is complete. */
  readonly closed: Promise<{ code: number | null; signal: string | null }>;
}

function spawnTs(t: ExecutionContext, script: string, args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { process: child, output: () => text, closed };
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function dsr(stream: SerialPortStream): Promise<boolean> {
  return new Promise((resolve, reject) =>
    stream.get((error, status) => (error ? reject(error) : resolve(status?.dsr ?? false))),
  );
}

test('SIGKILL of a board process drops DSR at the far end, and nothing else', async (t) => {
  const dir = tempDir(t);
  const hub = await startHub({ cables: [CABLE] }, dir);
  t.teardown(() => hub.close());
  const path = (endpoint: string) => `sim:${hub.socketPath}#${endpoint}`;

  const board = spawnTs(t, 'test/fixtures/serial-echo.ts', [path('p2-path0'), '115200']);
  await waitFor(() => board.output().includes('ready'), 'the echo board');

  const events: string[] = [];
  const chunks: Buffer[] = [];
  const stream = await new Promise<SerialPortStream>((resolve, reject) => {
    const s = new SerialPortStream(
      { binding: SimBinding, path: path('p1-path0'), baudRate: 115_200 },
      (error) => (error ? reject(error) : resolve(s)),
    );
  });
  t.teardown(() => new Promise<void>((resolve) => stream.close(() => resolve())));
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  for (const name of ['error', 'close', 'end']) stream.on(name, () => events.push(name));

  await waitFor(() => dsr(stream), 'DSR high: the board is up');
  stream.write('ping');
  await waitFor(() => Buffer.concat(chunks).toString() === 'ping', 'the echo');
  t.is(hub.cables()[0]?.b.pid, board.process.pid ?? -1);

  board.process.kill('SIGKILL');
  await waitFor(async () => !(await dsr(stream)), 'DSR low after the power pull');
  t.deepEqual(events, [], 'the far end sees no error, close or end');
  t.true(stream.isOpen);
  t.false(hub.cables()[0]?.b.open);
  t.is((await board.closed).signal, 'SIGKILL');
});

test('the hub process: pid file when ready, control API, clean exit on SIGTERM and on shutdown', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'cables.json');
  writeFileSync(config, JSON.stringify({ cables: [CABLE], seed: 1 }));
  const pidFile = join(dir, 'hub.pid');
  const sock = join(dir, 'hub.sock');

  const first = spawnTs(t, 'host/lab/hub/main.ts', ['--dir', dir, '--config', config]);
  await waitFor(() => existsSync(pidFile), 'hub.pid');
  t.is(Number(readFileSync(pidFile, 'utf8')), first.process.pid ?? -1);
  const control = await HubClient.forLab(dir);
  t.is(control.hubPid, first.process.pid ?? -1);
  t.deepEqual(
    (await control.cables()).map((c) => c.name),
    ['path0'],
  );
  control.close();
  first.process.kill('SIGTERM');
  t.deepEqual(await first.closed, { code: 0, signal: null });
  t.regex(first.output(), /hub: listening on .*hub\.sock: 1 cable/);
  t.false(existsSync(sock), 'socket removed');
  t.false(existsSync(pidFile), 'pid file removed');

  const second = spawnTs(t, 'host/lab/hub/main.ts', ['--dir', dir, '--config', config]);
  await waitFor(() => existsSync(pidFile), 'hub.pid again');
  const again = await HubClient.forLab(dir);
  await again.shutdown();
  t.deepEqual(await second.closed, { code: 0, signal: null });
  t.false(existsSync(sock));
});

test('the hub process refuses a bad config with exit code 2 and a message', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'cables.json');
  writeFileSync(config, JSON.stringify({ cables: [{ ...CABLE, baud: 0 }] }));
  const child = spawnTs(t, 'host/lab/hub/main.ts', ['--dir', dir, '--config', config]);
  t.is((await child.closed).code, 2);
  t.regex(child.output(), /cables\[0\]\.baud must be an integer/);
});
