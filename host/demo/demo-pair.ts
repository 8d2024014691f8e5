/**
 * What every lab demonstration starts with: a fresh lab, both boards'
 * host ports open, the first image pushed into both, and the pair formed.
 */

import { loadPublicKey } from '../../boards/image/public-key.ts';
import type { ImageEngine } from '../../boards/image-engine.ts';
import type { BoardStatus } from '../../boards/management.ts';
import type { StoreGeometry } from '../../firmware/hal.ts';
import { labDown, labUp } from '../lab/lab.ts';
import { openLabHosts } from '../lab/lab-boards.ts';
import { LabClient } from '../lab/lab-client.ts';
import type { LabConfig } from '../lab/lab-config.ts';
import { openLabLoad } from '../load/lab-load.ts';
import type { LoadGenerator } from '../load/load-generator.ts';
import type { BoardClient } from '../pair/board-client.ts';
import { roleOf, waitForBoards, waitForBoardsWhileMoving } from '../pair/board-watch.ts';
import { pushImage } from '../pair/push.ts';
import { isWhole } from '../pair-whole.ts';

export interface DemoPair {
  readonly config: LabConfig;
  readonly lab: LabClient;
  readonly hosts: readonly [BoardClient, BoardClient];
  /** The processor that became primary. */
  readonly primary: 1 | 2;
  readonly publicKeys: readonly Uint8Array[];
  /** Closes the host ports and takes the lab down. */
  close(): Promise<void>;
}

export const PAIR_TIMEOUT_MS = 20_000;

/**
 * A board whose power came back is waited for while it moves towards
 * serving as backup (answering, booting, joining: `rejoinStage`), up to
 * PAIR_TIMEOUT_MS between two of those, and at most this long in all: an
 * XS board at a load average of 35 took 15 s from power-on to backup, 8 s
 * of it loading its image and reading its store back.
 */
export const REJOIN_WAIT_MAX_MS = 3 * PAIR_TIMEOUT_MS;

const REJOIN_ROLES: readonly (string | null)[] = [null, 'booting', 'joining', 'backup'];

/**
 * How far a board has come towards serving as backup: silent, boot ROM,
 * booting, joining (and within it, the big checkpoint's bytes received, so
 * that a slow transfer counts as moving), backup.
 */
export function rejoinStage(status: BoardStatus | null): number {
  if (status === null) return 0;
  const stage = 1 + REJOIN_ROLES.indexOf(roleOf(status));
  return stage * 2 ** 32 + (status.pair?.snapshotReceivedBytes ?? 0);
}

/** Waits for `processor`, its power back, to rejoin as backup of a whole pair (null if it stops moving towards it). */
export function waitForRejoin(
  hosts: readonly BoardClient[],
  processor: 1 | 2,
): Promise<(BoardStatus | null)[] | null> {
  return waitForBoardsWhileMoving(
    hosts,
    (statuses) => roleOf(statuses[processor - 1]) === 'backup' && isWhole(statuses),
    (statuses) => rejoinStage(statuses[processor - 1] ?? null),
    PAIR_TIMEOUT_MS,
    REJOIN_WAIT_MAX_MS,
  );
}

/** What every lab demonstration is run with, besides its images. */
export interface DemoRunOptions {
  /** The lab directory (erased and reused). */
  readonly dir: string;
  readonly publicKeyFile: string;
  readonly baud: number;
  /** One field bus both boards hear (LabConfig.busShared); a drop per board unless set. */
  readonly busShared?: boolean;
  readonly clients: number;
  /** Ledger accounts the clients open first and then use (the workload's 8 unless given): the state's size. */
  readonly accounts?: number;
  /** Load before the first step and between the steps. */
  readonly loadMs: number;
  readonly seed: number;
  /** The engine each board runs images in, processor 1 first (both Node unless given). */
  readonly engines?: readonly [ImageEngine, ImageEngine];
  /** XS boards' fixed heap in bytes (LabConfig.xsHeapBytes); none unless given. */
  readonly xsHeapBytes?: number;
  /** Narration for a person watching; the JSON form passes a no-op. */
  readonly say: Say;
  /**
   * Called once the pair is formed and its load opened, before the load
   * starts (the demo command starts its dashboard and a live counter here);
   * resolves with what stops it, called before the lab goes down.
   */
  readonly watch?: DemoWatch;
}

/** What a narrated line is: the moments a room must not miss stand out. */
export type Tone = 'plain' | 'fault' | 'takeover' | 'recovered';

export type Say = (line: string, tone?: Tone) => void;

export type DemoWatch = (pair: DemoPair, load: LoadGenerator) => Promise<() => Promise<void>>;

/** A demonstration's client load on the lab's field bus, opened and watched, not yet started. */
export interface DemoLoad {
  readonly load: LoadGenerator;
  /** Stops the watch, then closes the bus ports. */
  close(): Promise<void>;
}

/** Opens the load on the pair's field bus and runs `options.watch` on it, if any. */
export async function openDemoLoad(options: DemoRunOptions, pair: DemoPair): Promise<DemoLoad> {
  const { load, ports } = await openLabLoad(
    pair.config,
    options.clients,
    options.seed,
    {},
    options.accounts,
  );
  const closePorts = async () => {
    for (const port of ports) await port.close().catch(() => {});
  };
  let unwatch = async () => {};
  try {
    if (options.watch !== undefined) unwatch = await options.watch(pair, load);
  } catch (error) {
    await closePorts();
    throw error;
  }
  return {
    load,
    close: async () => {
      await unwatch();
      await closePorts();
    },
  };
}

export async function startDemoPair(options: {
  readonly dir: string;
  readonly baud: number;
  /** The field bus's line rate, when it differs from `baud`. */
  readonly busBaud?: number;
  /** One field bus both boards hear (LabConfig.busShared). */
  readonly busShared?: boolean;
  /** Each board's durable store (the lab's default unless given). */
  readonly store?: StoreGeometry;
  readonly publicKeyFile: string;
  readonly image: Uint8Array;
  readonly say: (line: string) => void;
  /** The engine each board runs images in, processor 1 first (both Node unless given). */
  readonly engines?: readonly [ImageEngine, ImageEngine];
  /** XS boards' fixed heap in bytes (LabConfig.xsHeapBytes); none unless given. */
  readonly xsHeapBytes?: number;
}): Promise<DemoPair> {
  const { say } = options;
  say(
    `starting the lab: two board processes, two interconnect cables, a ${options.busShared === true ? 'shared ' : ''}field bus`,
  );
  const config = await labUp({
    dir: options.dir,
    paths: 2,
    baud: options.baud,
    ...(options.busBaud === undefined ? {} : { busBaud: options.busBaud }),
    busShared: options.busShared === true,
    ...(options.store === undefined ? {} : { store: options.store }),
    publicKeyFile: options.publicKeyFile,
    fresh: true,
    ...(options.engines === undefined ? {} : { engines: options.engines }),
    ...(options.xsHeapBytes === undefined ? {} : { xsHeapBytes: options.xsHeapBytes }),
  });
  let hosts: readonly BoardClient[] = [];
  const close = async () => {
    for (const host of hosts) await host.close().catch(() => {});
    await labDown(config.dir);
  };
  try {
    const opened = await openLabHosts(config);
    hosts = opened;
    const publicKeys = [loadPublicKey(options.publicKeyFile)];
    say('pushing the first image into both boards');
    await pushImage(
      hosts.map((client, index) => ({ processor: index === 0 ? 1 : 2, client })),
      options.image,
      { publicKeys, board: config.board },
    );
    const pair = await waitForBoards(hosts, isWhole, PAIR_TIMEOUT_MS);
    if (pair === null) throw new Error('the pair did not form');
    const primary: 1 | 2 = roleOf(pair[0]) === 'primary' ? 1 : 2;
    say(`pair formed: processor ${primary} primary, processor ${primary === 1 ? 2 : 1} backup`);
    return {
      config,
      lab: new LabClient(config.dir),
      hosts: opened,
      primary,
      publicKeys,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
