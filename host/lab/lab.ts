/**
 * Starting and stopping a lab: one directory holds its whole state (config,
 * sockets, flash files, logs), so several labs can run side by side.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadPublicKey } from '../../boards/image/public-key.ts';
import type { ImageEngine } from '../../boards/image-engine.ts';
import type { BoardProfile } from '../../boards/profile.ts';
import type { StoreGeometry } from '../../firmware/hal.ts';
import { nodeArgsFor } from '../code-location.ts';
import { waitForBoards } from '../pair/board-watch.ts';
import { openLabHosts } from './lab-boards.ts';
import { LabClient, LabNotRunningError } from './lab-client.ts';
import { endpoint, LAB_FILE, type LabConfig, profileFile } from './lab-config.ts';

export const DEFAULT_LAB_DIR = '.tandem/lab';

/**
 * Each lab board's durable store: 1 MiB as 16 erase blocks of 64 KiB (NOR
 * flash sectors), 16-byte writes, 100,000 cycles. An area is 512 KiB, and a
 * snapshot may take a quarter of it (131,019 bytes with its record): ledger
 * 1.0.0 of several thousand accounts, 2.0.0 of fewer (it keeps more per account).
 */
export const LAB_STORE: StoreGeometry = {
  eraseBlockBytes: 64 * 1024,
  writeBytes: 16,
  blockCount: 16,
  enduranceCycles: 100_000,
};
// A lab starts in about 1.5 s; on a loaded 2-core machine (the test suite beside other
// work) its three processes may take far longer, and waiting costs nothing once they answer.
const START_TIMEOUT_MS = 60_000;

export interface LabUpOptions {
  readonly dir: string;
  readonly paths: 1 | 2;
  readonly baud: number;
  /** The field bus's line rate, when it differs from `baud`. */
  readonly busBaud?: number;
  /** Both boards hear the field bus (see LabConfig.busShared); a drop per board unless set. */
  readonly busShared?: boolean;
  /** Each board's durable store; LAB_STORE unless given. */
  readonly store?: StoreGeometry;
  readonly publicKeyFile: string;
  /** Start from erased flash (default) or keep what the boards had. */
  readonly fresh: boolean;
  /** The engine each board runs images in, processor 1 first; both 'node' unless given. */
  readonly engines?: readonly [ImageEngine, ImageEngine];
  /** XS boards' fixed heap in bytes (LabConfig.xsHeapBytes); none unless given. */
  readonly xsHeapBytes?: number;
}

export class LabAlreadyRunningError extends Error {
  readonly labAlreadyRunning = true;
  override name = 'LabAlreadyRunningError';
}

export async function labUp(options: LabUpOptions): Promise<LabConfig> {
  const dir = resolve(options.dir);
  const client = new LabClient(dir);
  if (await isRunning(client)) {
    throw new LabAlreadyRunningError(
      `a lab is already running in ${dir}: \`npx tandem lab down --dir ${options.dir}\` first`,
    );
  }
  // The boards cannot boot an image without the key: say so now, not after their start-up timeout.
  loadPublicKey(options.publicKeyFile);
  if (options.fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config: LabConfig = {
    dir,
    paths: options.paths,
    baud: options.baud,
    busBaud: options.busBaud ?? options.baud,
    busShared: options.busShared ?? false,
    board: 'sim',
    publicKeyFile: resolve(options.publicKeyFile),
    slotBytes: 1024 * 1024,
    nvmBytes: 4096,
    bootMs: 50,
    // Board processes share a busy machine: a 150 ms suspicion time rides out scheduling stalls.
    heartbeatIntervalMs: 50,
    engines: options.engines ?? ['node', 'node'],
    xsHeapBytes: options.xsHeapBytes ?? null,
  };
  writeFileSync(join(dir, LAB_FILE), `${JSON.stringify(config, null, 2)}\n`);
  for (const processor of [1, 2] as const) {
    writeFileSync(
      join(dir, profileFile(processor)),
      `${JSON.stringify(simProfile(config, processor, options.store ?? LAB_STORE), null, 2)}\n`,
    );
  }
  const log = openSync(join(dir, 'daemon.log'), 'a');
  const daemon = spawn(process.execPath, [...nodeArgsFor('lab-daemon'), '--lab', dir], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  daemon.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await isRunning(client)) {
      try {
        await waitForBoardsToAnswer(config, deadline);
      } catch (error) {
        // A lab whose boards never answer is of no use: do not leave its daemon behind.
        await labDown(dir);
        throw error;
      }
      return config;
    }
    await sleep(50);
  }
  throw new LabNotRunningError(
    `the lab did not start within ${START_TIMEOUT_MS} ms; see ${join(dir, 'daemon.log')}`,
  );
}

export async function labDown(dir: string): Promise<boolean> {
  const client = new LabClient(resolve(dir));
  if (!(await isRunning(client))) return false;
  await client.request({ op: 'shutdown' });
  const pidFile = join(resolve(dir), 'daemon.pid');
  const deadline = Date.now() + 5000;
  while (existsSync(pidFile) && Date.now() < deadline) await sleep(20);
  if (existsSync(pidFile)) {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    rmSync(pidFile, { force: true });
  }
  return true;
}

async function isRunning(client: LabClient): Promise<boolean> {
  try {
    await client.request({ op: 'status' }, 1000);
    return true;
  } catch {
    return false;
  }
}

/** The profile of a lab board: data, like any board's (boards/profiles). */
function simProfile(config: LabConfig, processor: 1 | 2, store: StoreGeometry): BoardProfile {
  const port = (path: string) => ({ path, baud: config.baud });
  return {
    name: `lab-p${processor}`,
    kind: 'sim',
    processor,
    interconnect: Array.from({ length: config.paths }, (_, path) =>
      port(endpoint.path(processor, path)),
    ),
    host: port(endpoint.boardHost(processor)),
    bus: { path: endpoint.bus(processor), baud: config.busBaud },
    lines: { dsrFromPartner: true, fenceToPartnerReset: true, busShared: config.busShared },
    flash: { slotBytes: config.slotBytes, nvmBytes: config.nvmBytes },
    store,
    timing: { heartbeatIntervalMs: config.heartbeatIntervalMs },
    // A board whose image runs in XS stands for a microcontroller.
    ...(config.engines[processor - 1] === 'xs' && { limits: { class: 'microcontroller' } }),
  };
}

/** `lab up` returns once both boot ROMs answer, so a `tandem flash` right after it works. */
async function waitForBoardsToAnswer(config: LabConfig, deadline: number): Promise<void> {
  const hosts = await openLabHosts(config);
  try {
    const answered = await waitForBoards(
      hosts,
      (s) => s.every((status) => status !== null),
      deadline - Date.now(),
      50,
    );
    if (answered === null) {
      throw new LabNotRunningError(
        `the lab's boards did not answer in time; see the logs in ${config.dir}`,
      );
    }
  } finally {
    for (const host of hosts) await host.close();
  }
}
