import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { autoDetect } from '@serialport/bindings-cpp';
import { buildImage } from '../../host/image/build.ts';
import { generateKeys } from '../../host/image/keys.ts';
import { BoardClient } from '../../host/lab/board-client.ts';
import { flashImage } from '../../host/lab/flash.ts';
import type { PairRig, RigSource } from './pair-suite.ts';

// Two Linux-class board processes (boards/linux/main.ts) on real termios
// devices through @serialport/bindings-cpp; socat PTY pairs stand in for the
// cables. PTYs carry no modem lines, so the profiles wire no DSR and the
// backup learns of a dead primary from silence alone.
const BOARD_MAIN = resolve('boards/linux/main.ts');
const BAUD = 115200;

function socatMissing(): string | null {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'socat is not installed (.ci/run installs it; or `apt-get install socat`)';
  }
}

export const ptyRig: RigSource = {
  name: 'PTY pair',
  unavailable: socatMissing(),
  async start(): Promise<PairRig> {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-pty-'));
    const link = (name: string) => join(dir, name);
    const children: ChildProcess[] = [];
    const cable = async (a: string, b: string) => {
      children.push(
        spawn('socat', [`pty,raw,echo=0,link=${link(a)}`, `pty,raw,echo=0,link=${link(b)}`], {
          stdio: 'ignore',
        }),
      );
      const deadline = Date.now() + 10_000;
      while (!(existsSync(link(a)) && existsSync(link(b)))) {
        if (Date.now() > deadline) throw new Error(`socat did not create ${a} and ${b}`);
        await sleep(20);
      }
    };
    await cable('p1-path0', 'p2-path0');
    for (const p of [1, 2]) {
      await cable(`p${p}-host`, `tool-p${p}`);
      await cable(`p${p}-bus`, `client-p${p}`);
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
      const device = (name: string) => ({ path: realpathSync(link(name)), baud: BAUD });
      const profile = join(dir, `p${p}.board.json`);
      writeFileSync(
        profile,
        JSON.stringify({
          name: `pty-p${p}`,
          kind: 'linux',
          processor: p,
          interconnect: [device(`p${p}-path0`)],
          host: device(`p${p}-host`),
          bus: device(`p${p}-bus`),
          lines: { dsrFromPartner: false, fenceToPartnerReset: false },
          flash: { slotBytes: 1024 * 1024, nvmBytes: 4096 },
          timing: { heartbeatIntervalMs: 50, suspectMissCount: 3 },
        }),
      );
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          BOARD_MAIN,
          '--profile',
          profile,
          '--flash',
          join(dir, `p${p}.flash`),
          '--key',
          join(keyDir, 'image-signing.pub'),
          '--log',
          join(dir, `p${p}.log`),
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
      return child;
    });
    const binding = autoDetect();
    const hosts = [
      await BoardClient.open(binding, link('tool-p1'), BAUD, 'processor 1'),
      await BoardClient.open(binding, link('tool-p2'), BAUD, 'processor 2'),
    ] as const;
    const deadline = Date.now() + 60_000;
    for (const host of hosts) {
      for (;;) {
        const ready = await host.request({ op: 'status' }, 1000).then(
          () => true,
          () => false,
        );
        if (ready) break;
        if (Date.now() > deadline) throw new Error('the PTY boards did not answer');
      }
      await flashImage(host, image, () => {});
    }
    return {
      hosts,
      binding,
      busPaths: [link('client-p1'), link('client-p2')],
      baud: BAUD,
      powerOff: async (board) => {
        boards[board]?.kill('SIGKILL');
      },
      close: async () => {
        for (const host of hosts) await host.close().catch(() => {});
        for (const child of children) child.kill('SIGKILL');
      },
    };
  },
};
