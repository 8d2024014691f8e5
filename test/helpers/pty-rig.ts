import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { autoDetect } from '@serialport/bindings-cpp';
import { buildImage } from '../../host/image/build.ts';
import { DEFAULT_KEY_DIR, generateKeys, PUBLIC_KEY_FILE } from '../../host/image/keys.ts';
import { BoardClient } from '../../host/pair/board-client.ts';
import { flashImage } from '../../host/pair/flash.ts';
import type { PairRig, RigSource } from './pair-suite.ts';

// Two Linux-class board processes (boards/linux/main.ts, or `tandem board
// run`) on real termios devices through @serialport/bindings-cpp; socat PTY
// pairs stand in for the cables. PTYs carry no modem lines, so the profiles
// wire no DSR and the backup learns of a dead primary from silence alone.
const BOARD_MAIN = resolve('boards/linux/main.ts');
const TANDEM_CLI = resolve('bin/tandem.js');
export const PTY_BAUD = 115200;

function socatMissing(): string | null {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'socat is not installed (.ci/run installs it; or `apt-get install socat`)';
  }
}

export const PTY_UNAVAILABLE = socatMissing();

/** Two board processes on PTY pairs, flashed with nothing yet. */
export interface PtyPair {
  readonly dir: string;
  /** The key directory, at `<dir>/.tandem/keys` (where the CLI looks from `dir`). */
  readonly keyDir: string;
  /** A link in `dir`: 'tool-p1' (P1's management port), 'client-p1' (its field bus). */
  link(name: string): string;
  /** Power-pull of a board: SIGKILL of its process (0 is processor 1). */
  killBoard(index: 0 | 1): void;
  close(): Promise<void>;
}

/**
 * Starts the cables and both boards. `entry` picks how a board is started:
 * the Linux entry as a script, or through the CLI (`tandem board run`).
 */
export async function startPtyPair(entry: 'board-main' | 'tandem-cli'): Promise<PtyPair> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tandem-pty-')));
  const link = (name: string) => join(dir, name);
  const children: ChildProcess[] = [];
  const boards: ChildProcess[] = [];
  const close = async () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
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
    const keyDir = join(dir, DEFAULT_KEY_DIR);
    mkdirSync(keyDir, { recursive: true });
    generateKeys(keyDir);
    for (const p of [1, 2] as const) {
      const device = (name: string) => ({ path: realpathSync(link(name)), baud: PTY_BAUD });
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
      const args = [
        '--profile',
        profile,
        '--flash',
        join(dir, `p${p}.flash`),
        '--key',
        join(keyDir, PUBLIC_KEY_FILE),
        '--log',
        join(dir, `p${p}.log`),
      ];
      const board = spawn(
        process.execPath,
        entry === 'board-main'
          ? ['--import', 'tsx', BOARD_MAIN, ...args]
          : [TANDEM_CLI, 'board', 'run', ...args],
        { stdio: 'ignore' },
      );
      children.push(board);
      boards.push(board);
    }
    return { dir, keyDir, link, killBoard: (index) => boards[index]?.kill('SIGKILL'), close };
  } catch (error) {
    await close();
    throw error;
  }
}

export const ptyRig: RigSource = {
  name: 'PTY pair',
  unavailable: PTY_UNAVAILABLE,
  async start(): Promise<PairRig> {
    const pair = await startPtyPair('board-main');
    const { image } = await buildImage({
      app: 'ledger',
      version: '1.0.0',
      boards: ['linux'],
      keyDir: pair.keyDir,
    });
    const binding = autoDetect();
    const hosts = [
      await BoardClient.open(binding, pair.link('tool-p1'), PTY_BAUD, 'processor 1'),
      await BoardClient.open(binding, pair.link('tool-p2'), PTY_BAUD, 'processor 2'),
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
      busPaths: [pair.link('client-p1'), pair.link('client-p2')],
      baud: PTY_BAUD,
      powerOff: async (board) => {
        pair.killBoard(board);
      },
      close: async () => {
        for (const host of hosts) await host.close().catch(() => {});
        await pair.close();
      },
    };
  },
};
