/**
 * One lab for `tandem bench` at one baud: a fresh lab in a temporary
 * directory with ledger 1.0.0 in both boards and the pair formed, both
 * boards' journals read for the whole run, and every power-pull the bench
 * makes recorded, so takeovers the boards did without a pull (false
 * suspicions) can be counted afterwards.
 */

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ImageEngine } from '../../boards/image-engine.ts';
import { wallClockMs } from '../../boards/wall-clock.ts';
import type { StoreGeometry } from '../../firmware/hal.ts';
import {
  type DemoPair,
  PAIR_TIMEOUT_MS,
  REJOIN_WAIT_MAX_MS,
  startDemoPair,
  waitForRejoin,
} from '../demo/demo-pair.ts';
import { type Excuse, falseTakeovers, isExcused } from '../history/takeover-excuses.ts';
import { HubClient } from '../lab/hub/control.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../pair/board-watch.ts';
import { PairJournal, type PairJournalEntry } from '../pair/pair-journal.ts';
import { isWhole } from '../pair-whole.ts';

export interface PowerPull {
  readonly processor: 1 | 2;
  /** Wall-clock ms (the journals' clock) when the pull was asked for. */
  readonly atWallMs: number;
  /** When power came back; null if it never did during the run. */
  restoredAtWallMs: number | null;
}

export interface BenchLab {
  readonly pair: DemoPair;
  readonly baud: number;
  readonly journal: PairJournal;
  /** The lab's hub: its cables count the bytes each board sent. */
  readonly hub: HubClient;
  readonly pulls: PowerPull[];
  /** Pulls the power of `processor`; returns performance.now() just before the pull. */
  pull(processor: 1 | 2): Promise<number>;
  /** Restores power and waits until the board is the backup of a whole pair again. */
  restore(processor: 1 | 2): Promise<void>;
  /** Waits for one primary and one backup; returns the primary. */
  whole(): Promise<1 | 2>;
  /** Stops the journals and takes the lab down. */
  close(): Promise<void>;
}

/** Labs opened by this process: each gets a directory of its own. */
let labsOpened = 0;

export async function openBenchLab(options: {
  readonly root: string;
  readonly baud: number;
  /** The field bus's line rate, when it differs from `baud`. */
  readonly busBaud?: number;
  /** One field bus both boards hear (LabConfig.busShared). */
  readonly busShared?: boolean;
  /** Each board's durable store (the lab's default unless given). */
  readonly store?: StoreGeometry;
  readonly image: Uint8Array;
  readonly publicKeyFile: string;
  /** The engine each board runs images in (both Node unless given). */
  readonly engines?: readonly [ImageEngine, ImageEngine];
  /** XS boards' fixed heap in bytes (LabConfig.xsHeapBytes); none unless given. */
  readonly xsHeapBytes?: number;
}): Promise<BenchLab> {
  const pair = await startDemoPair({
    dir: join(
      options.root,
      `lab-${++labsOpened}-${options.baud}-${options.busBaud ?? options.baud}${options.busShared === true ? '-shared' : ''}`,
    ),
    baud: options.baud,
    ...(options.busBaud === undefined ? {} : { busBaud: options.busBaud }),
    busShared: options.busShared === true,
    ...(options.store === undefined ? {} : { store: options.store }),
    publicKeyFile: options.publicKeyFile,
    image: options.image,
    say: () => {},
    ...(options.engines === undefined ? {} : { engines: options.engines }),
    ...(options.xsHeapBytes === undefined ? {} : { xsHeapBytes: options.xsHeapBytes }),
  });
  const journal = new PairJournal(pair.hosts);
  let hub: HubClient;
  try {
    await journal.start();
    hub = await HubClient.forLab(pair.config.dir);
  } catch (error) {
    await journal.stop().catch(() => {});
    await pair.close();
    throw error;
  }
  const pulls: PowerPull[] = [];
  const whole = async (): Promise<1 | 2> => {
    const statuses = await waitForBoards(pair.hosts, isWhole, PAIR_TIMEOUT_MS);
    if (statuses === null) throw new Error(`the pair did not form within ${PAIR_TIMEOUT_MS} ms`);
    return roleOf(statuses[0]) === 'primary' ? 1 : 2;
  };
  return {
    pair,
    baud: options.baud,
    journal,
    hub,
    pulls,
    async pull(processor) {
      const at = performance.now();
      pulls.push({ processor, atWallMs: wallClockMs(at), restoredAtWallMs: null });
      await pair.lab.power(processor, false);
      return at;
    },
    async restore(processor) {
      const pull = pulls.filter((p) => p.processor === processor).at(-1);
      await pair.lab.power(processor, true);
      if (pull !== undefined) pull.restoredAtWallMs = wallClockMs(performance.now());
      if ((await waitForRejoin(pair.hosts, processor)) === null) {
        throw new Error(
          `processor ${processor} did not rejoin: it stopped moving towards backup for ${PAIR_TIMEOUT_MS} ms, or took over ${REJOIN_WAIT_MAX_MS} ms`,
        );
      }
    },
    whole,
    async close() {
      await journal.stop().catch(() => {});
      hub.close();
      await pair.close();
    },
  };
}

/** The primary of a whole pair right now, or null. */
export async function currentPrimary(lab: BenchLab): Promise<1 | 2 | null> {
  const statuses = await readBoardStatuses(lab.pair.hosts);
  if (!isWhole(statuses)) return null;
  return roleOf(statuses[0]) === 'primary' ? 1 : 2;
}

export interface Suspicions {
  /**
   * Takeovers (a backup made itself primary) with no pull of its partner to
   * explain them (until EXCUSE_SETTLE_MS after the power came back: a
   * restarted board is noticed by its new incarnation).
   */
  readonly falseTakeovers: readonly PairJournalEntry[];
  /** All takeovers the journals recorded. */
  readonly takeovers: number;
  /** A primary gave up its backup ("backup silent") with no pull of the backup to explain it. */
  readonly falseBackupLosses: readonly PairJournalEntry[];
  /** Some journal entries were dropped before they were read: the counts may be low. */
  readonly incomplete: boolean;
}

export function countSuspicions(lab: BenchLab): Suspicions {
  const excuses: Excuse[] = lab.pulls.map((pull) => ({
    absent: pull.processor,
    fromWallMs: pull.atWallMs,
    toWallMs: pull.restoredAtWallMs,
  }));
  const backupLosses = lab.journal.entries.filter(
    (e) => e.kind === 'role' && e.cause === 'backup-lost',
  );
  return {
    falseTakeovers: falseTakeovers(lab.journal.entries, excuses),
    takeovers: lab.journal.entries.filter((e) => e.kind === 'takeover').length,
    falseBackupLosses: backupLosses.filter((e) => !isExcused(e, excuses)),
    incomplete: lab.journal.incomplete,
  };
}
