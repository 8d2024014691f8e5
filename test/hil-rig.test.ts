/**
 * The HIL rig on the simulated lab: the same johnny-five code that drives an
 * Arduino's relays drives the lab's relay controller (a Firmata device on a
 * simulated serial line) and so the lab's power rails. `tandem hil check`
 * passes on the lab's own wiring and says what is wrong with a profile that
 * does not match it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import test from 'ava';
import type { RigProfile } from '../boards/rig-profile.ts';
import type { RigCheckResult } from '../hil/check.ts';
import { openSimRig } from '../hil/open-rig.ts';
import { RigWiringError } from '../hil/rig.ts';
import { generateKeys } from '../host/image/keys.ts';
import { labDown, labUp } from '../host/lab/lab.ts';
import { LabClient } from '../host/lab/lab-client.ts';
import { endpoint, type LabConfig, portPath } from '../host/lab/lab-config.ts';
import { RELAY_BAUD } from '../host/lab/relay-controller.ts';
import { SimBinding } from '../host/lab/serial/sim-binding.ts';

const root = mkdtempSync(join(tmpdir(), 'tandem-hil-'));
let config: LabConfig;

test.before(async () => {
  generateKeys(join(root, 'keys'));
  config = await labUp({
    dir: join(root, 'lab'),
    paths: 1,
    baud: 921600,
    publicKeyFile: join(root, 'keys', 'image-signing.pub'),
    fresh: true,
  });
});

test.after.always(async () => {
  await labDown(join(root, 'lab'));
});

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

function profileFile(name: string, boards: RigProfile['boards']): string {
  const file = join(root, `${name}.rig.json`);
  writeFileSync(file, JSON.stringify({ name, kind: 'sim', boards }));
  return file;
}

const check = async (...args: string[]) => {
  const run = await tandem('hil', 'check', '--rig', 'sim', '--dir', config.dir, '--json', ...args);
  return { ...run, result: JSON.parse(run.stdout) as RigCheckResult };
};

test.serial('hil check passes on the lab as its profile says it is wired', async (t) => {
  const { code, result, stderr } = await check();
  t.is(code, 0, stderr);
  t.true(result.ok);
  t.deepEqual(
    result.boards.map((b) => [b.answersWithRelayOn, b.answersWithRelayOff, b.otherKeptAnswering]),
    [
      [true, false, true],
      [true, false, true],
    ],
  );
});

test.serial('swapped power pins: each relay cuts the other board', async (t) => {
  const file = profileFile('swapped', [
    { processor: 1, power: { pin: 8, contact: 'normally-closed' } },
    { processor: 2, power: { pin: 7, contact: 'normally-closed' } },
  ]);
  const { code, result } = await check('--profile', file, '--boot-timeout', '10000');
  t.is(code, 1);
  t.deepEqual(
    result.problems.map((p) => ('processor' in p ? `${p.code} P${p.processor}` : p.code)),
    ['stayed-powered P1', 'cut-other P1', 'stayed-powered P2', 'cut-other P2'],
  );
  t.regex(result.problems[1]?.message ?? '', /relay for P1 cut P2/);
});

test.serial('a normally-closed relay profiled as normally-open is called backwards', async (t) => {
  const file = profileFile('backwards', [
    { processor: 1, power: { pin: 7, contact: 'normally-open' } },
    { processor: 2, power: { pin: 8, contact: 'normally-closed' } },
  ]);
  const { code, result } = await check('--profile', file, '--boot-timeout', '6000');
  t.is(code, 1);
  t.deepEqual(
    result.problems.map((p) => p.code),
    ['contact-backwards'],
  );
  t.regex(result.problems[0]?.message ?? '', /P1 .*backwards \(normally-open vs normally-closed\)/);
  // The check leaves P1's relay "on", which this wrong profile means off: put it right.
  const rig = await openSimRig(config.dir);
  await rig.setPower(1, true);
  await rig.close();
});

test.serial('a pin the controller does not have is a wiring error', async (t) => {
  const profile: RigProfile = {
    name: 'far',
    kind: 'sim',
    boards: [
      { processor: 1, power: { pin: 30, contact: 'normally-closed' } },
      { processor: 2, power: { pin: 8, contact: 'normally-closed' } },
    ],
  };
  const error = await t.throwsAsync(openSimRig(config.dir, profile), {
    instanceOf: RigWiringError,
  });
  t.regex(error?.message ?? '', /no output pin 30/);
});

test.serial('the relay controller ignores garbage and keeps switching', async (t) => {
  const raw = new SerialPortStream({
    binding: SimBinding,
    path: portPath(config, endpoint.relayHost),
    baudRate: RELAY_BAUD,
  });
  await new Promise<void>((resolve) => raw.on('open', () => resolve()));
  let seed = 7;
  const garbage = Buffer.from(
    Array.from({ length: 4096 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    }),
  );
  garbage.set([0xf0, 0x6b], 100); // an unterminated sysex in the middle
  await new Promise<void>((resolve, reject) =>
    raw.write(garbage, (error) => (error ? reject(error) : resolve())),
  );
  await new Promise<void>((resolve) => raw.drain(() => resolve()));
  await new Promise<void>((resolve) => raw.close(() => resolve()));
  // The hub hands the garbage to the controller at the line rate: let it all
  // arrive before the rig's commands, or a digital message in it lands after them.
  const lineMs = (garbage.length * 10 * 1000) / RELAY_BAUD;
  await new Promise((resolve) => setTimeout(resolve, 2 * lineMs + 500));

  const lab = new LabClient(config.dir);
  const rig = await openSimRig(config.dir);
  try {
    await rig.setPower(1, true);
    await rig.setPower(2, true);
    await rig.setPower(2, false);
    t.deepEqual(
      (await lab.boards()).map((b) => b.powered),
      [true, false],
    );
    await rig.setPower(2, true);
    t.deepEqual(
      (await lab.boards()).map((b) => b.powered),
      [true, true],
    );
  } finally {
    await rig.close();
  }
});

test('without a lab, hil check says so with its exit code', async (t) => {
  const run = await tandem('hil', 'check', '--rig', 'sim', '--dir', join(root, 'no-lab'));
  t.is(run.code, 4);
  t.regex(run.stderr, /no lab is running/);
});

test('bad arguments are usage errors', async (t) => {
  const noPort = await tandem('hil', 'check', '--rig', 'firmata', '--profile', 'x.rig.json');
  t.is(noPort.code, 2);
  t.regex(noPort.stderr, /--port/);
  const badProfile = await tandem('hil', 'check', '--dir', config.dir, '--profile', 'README.md');
  t.is(badProfile.code, 2);
  t.regex(badProfile.stderr, /not valid JSON/);
});
