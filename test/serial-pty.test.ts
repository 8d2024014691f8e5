import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { autoDetect } from '@serialport/bindings-cpp';
import test from 'ava';
import type { BoardStatus } from '../boards/management.ts';
import type { ClientReply } from '../firmware/runtime/messages.ts';
import { buildImage } from '../host/image/build.ts';
import { generateKeys } from '../host/image/keys.ts';
import { BoardClient } from '../host/lab/board-client.ts';
import { flashImage } from '../host/lab/flash.ts';
import { BusPort } from '../host/load/bus-port.ts';

// The same board code as the lab, on real termios devices through
// @serialport/bindings-cpp: socat makes PTY pairs that stand in for the
// cables. PTYs carry no modem lines, so these profiles wire no DSR and the
// backup learns of a dead primary from silence alone.

function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const socat = hasSocat();
if (!socat)
  console.log(
    'socat is not installed: skipping the PTY tests (.ci/run installs it; or `apt-get install socat`)',
  );
const ptyTest = socat ? test.serial : test.skip;
const BOARD_MAIN = resolve('boards/linux/main.ts');
const BAUD = 115200;

interface Rig {
  readonly dir: string;
  readonly children: ChildProcess[];
  link(name: string): string;
}

async function cablePair(rig: Rig, a: string, b: string): Promise<void> {
  const child = spawn(
    'socat',
    [`pty,raw,echo=0,link=${rig.link(a)}`, `pty,raw,echo=0,link=${rig.link(b)}`],
    { stdio: 'ignore' },
  );
  rig.children.push(child);
  const deadline = Date.now() + 10_000;
  while (!(existsSync(rig.link(a)) && existsSync(rig.link(b)))) {
    if (Date.now() > deadline) throw new Error(`socat did not create ${a} and ${b}`);
    await sleep(20);
  }
}

function profile(rig: Rig, processor: 1 | 2): string {
  const device = (name: string) => ({ path: realpathSync(rig.link(name)), baud: BAUD });
  const file = join(rig.dir, `p${processor}.board.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name: `pty-p${processor}`,
      kind: 'linux',
      processor,
      interconnect: [device(`p${processor}-path0`)],
      host: device(`p${processor}-host`),
      bus: device(`p${processor}-bus`),
      lines: { dsrFromPartner: false, fenceToPartnerReset: false },
      flash: { slotBytes: 1024 * 1024, nvmBytes: 4096 },
      timing: { heartbeatIntervalMs: 20, suspectMissCount: 3 },
    }),
  );
  return file;
}

ptyTest(
  'a pair over PTY serial devices forms, serves, and fails over when the primary dies',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-pty-'));
    const rig: Rig = { dir, children: [], link: (name) => join(dir, name) };
    const binding = autoDetect();
    const opened: Array<{ close(): Promise<void> }> = [];
    try {
      await cablePair(rig, 'p1-path0', 'p2-path0');
      for (const p of [1, 2]) {
        await cablePair(rig, `p${p}-host`, `tool-p${p}`);
        await cablePair(rig, `p${p}-bus`, `client-p${p}`);
      }
      const keyDir = join(dir, 'keys');
      generateKeys(keyDir);
      const { image } = await buildImage({
        app: 'ledger',
        version: '1.0.0',
        boards: ['linux'],
        keyDir,
      });
      const boards = ([1, 2] as const).map((p) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            BOARD_MAIN,
            '--profile',
            profile(rig, p),
            '--flash',
            join(dir, `p${p}.flash`),
            '--key',
            join(keyDir, 'image-signing.pub'),
            '--log',
            join(dir, `p${p}.log`),
          ],
          { stdio: 'ignore' },
        );
        rig.children.push(child);
        return child;
      });
      const hosts = await Promise.all(
        ([1, 2] as const).map((p) =>
          BoardClient.open(binding, rig.link(`tool-p${p}`), BAUD, `processor ${p}`),
        ),
      );
      opened.push(...hosts);
      const statuses = () =>
        Promise.all(
          hosts.map((h) =>
            h
              .request({ op: 'status' }, 1000)
              .then((s) => s as BoardStatus)
              .catch(() => null),
          ),
        );
      const waitFor = async (done: (roles: (string | null)[]) => boolean) => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const roles = (await statuses()).map((s) =>
            s === null ? 'silent' : (s.pair?.role ?? null),
          );
          if (done(roles)) return roles;
          if (Date.now() > deadline) {
            t.log(
              readFileSync(join(dir, 'p1.log'), 'utf8'),
              readFileSync(join(dir, 'p2.log'), 'utf8'),
            );
            throw new Error(`unexpected roles ${JSON.stringify(roles)}`);
          }
          await sleep(50);
        }
      };
      await waitFor((roles) => roles.every((r) => r !== 'silent'));
      for (const host of hosts) await flashImage(host, image, () => {});
      const formed = await waitFor(
        (roles) => roles.includes('primary') && roles.includes('backup'),
      );
      const primary = formed.indexOf('primary');

      const replies: ClientReply[] = [];
      const buses = await Promise.all(
        ([1, 2] as const).map((p) =>
          BusPort.open(binding, rig.link(`client-p${p}`), BAUD, {
            reply: (r) => replies.push(r),
            announce: () => {},
          }),
        ),
      );
      opened.push(...buses);
      buses[primary]?.send({ clientId: 'pty', syncId: 1, body: { op: 'open', account: 'a' } });
      const first = await waitUntil(() => replies.find((r) => r.syncId === 1));
      t.true(first?.ok);

      boards[primary]?.kill('SIGKILL');
      const survivor = primary === 0 ? 1 : 0;
      await waitFor((roles) => roles[survivor] === 'primary-alone');
      buses[survivor]?.send({ clientId: 'pty', syncId: 1, body: { op: 'open', account: 'a' } });
      buses[survivor]?.send({
        clientId: 'pty',
        syncId: 2,
        body: { op: 'deposit', account: 'a', amount: 5 },
      });
      const retried = await waitUntil(() => replies.filter((r) => r.syncId === 1)[1]);
      const second = await waitUntil(() => replies.find((r) => r.syncId === 2));
      // The retry is answered from the checkpointed reply cache, not run again.
      t.deepEqual(retried, first);
      t.deepEqual(second?.ok ? second.reply : null, { ok: true, balance: 5 });
    } finally {
      for (const port of opened) await port.close().catch(() => {});
      for (const child of rig.children) child.kill('SIGKILL');
    }
  },
);

async function waitUntil<T>(
  probe: () => T | undefined,
  timeoutMs = 20_000,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(10);
  }
  return undefined;
}
