/**
 * The blackout demonstration: a pair of simulated boards running ledger
 * 1.0.0 (whose state is `retained`) under client load loses the power of
 * both boards at once; power comes back to one board, then the other, and
 * the pair recovers from what its durable stores hold: the boards compare
 * their histories, the newer one serves, the other joins. Every figure is
 * measured: lost/duplicated from the clients' own history, the transaction
 * the pair recovered at from the recovering board's journal, and the time
 * from power returning to the first board until the pair answered again.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryCounts } from '../history/result-counts.ts';
import { checkFinalState } from '../load/final-state.ts';
import { waitForAnswer } from '../load/load-generator.ts';
import type { BoardClient } from '../pair/board-client.ts';
import { waitForBoards } from '../pair/board-watch.ts';
import { JournalReader } from '../pair/journal-reader.ts';
import { isWhole } from '../pair-whole.ts';
import {
  type DemoLoad,
  type DemoRunOptions,
  openDemoLoad,
  PAIR_TIMEOUT_MS,
  startDemoPair,
} from './demo-pair.ts';

/** Which board gets its power back first: the one that was primary, or the one that was backup. */
export type RestoreFirst = 'primary' | 'backup';
export const RESTORE_FIRST: readonly RestoreFirst[] = ['backup', 'primary'];

export interface BlackoutOptions extends DemoRunOptions {
  readonly image: Uint8Array;
  readonly restoreFirst: RestoreFirst;
  /** Between power returning to the first board and to the second. */
  readonly restoreGapMs: number;
}

export interface BlackoutResult extends HistoryCounts {
  readonly violations: readonly string[];
  /** The transaction the pair recovered at (the recovering board's journal); null if it did not recover from a store. */
  readonly recoveredTxn: number | null;
  /** The processor that recovered and served; null if none did. */
  readonly recoveredBy: 1 | 2 | null;
  /** From power returning to the first board to the first reply after it; null if none came. */
  readonly recoveryMs: number | null;
  /** From power returning to the first board to the pair being whole again; null if it never was. */
  readonly wholeMs: number | null;
  readonly restoreFirst: RestoreFirst;
  readonly restoreOrder: readonly [1 | 2, 1 | 2];
  readonly restoreGapMs: number;
  /** A board started its app empty instead of recovering (an explicit cold start). */
  readonly coldStart: boolean;
  readonly baud: number;
}

export async function runBlackoutDemo(options: BlackoutOptions): Promise<BlackoutResult> {
  const { say } = options;
  const pair = await startDemoPair(options);
  const { config, lab, hosts, primary } = pair;
  const backup: 1 | 2 = primary === 1 ? 2 : 1;
  const order: [1 | 2, 1 | 2] =
    options.restoreFirst === 'primary' ? [primary, backup] : [backup, primary];
  let demoLoad: DemoLoad | null = null;
  try {
    demoLoad = await openDemoLoad(options, pair);
    const { load } = demoLoad;
    load.start();
    say(`load running: ${options.clients} clients`);
    await sleep(options.loadMs);

    say('pulling the power of both boards at once', 'fault');
    await Promise.all([lab.power(1, false), lab.power(2, false)]);
    const acknowledgedAtPull = load.history.acknowledged;
    say(`${acknowledgedAtPull} requests acknowledged before the blackout`);
    await sleep(options.loadMs / 4);

    say(`restoring processor ${order[0]} (the ${options.restoreFirst}) first`);
    const restoredAt = performance.now();
    await lab.power(order[0], true);
    await sleep(options.restoreGapMs);
    say(`restoring processor ${order[1]}`);
    await lab.power(order[1], true);
    const answers = load.answers.length;
    const first = await waitForAnswer(
      load.answers,
      0,
      (a) => a.ok && a.atMs > restoredAt,
      PAIR_TIMEOUT_MS,
    );
    const recoveryMs = first === undefined ? null : first.atMs - restoredAt;
    const whole = await waitForBoards(hosts, isWhole, PAIR_TIMEOUT_MS);
    const wholeMs = whole === null ? null : performance.now() - restoredAt;
    const journal = await recoveryOf(hosts, PAIR_TIMEOUT_MS);
    say(
      journal.recoveredTxn === null
        ? journal.coldStart
          ? 'a board started the ledger empty: the stores were not used'
          : 'the pair did not recover from its stores'
        : `processor ${journal.recoveredBy} recovered txn ${journal.recoveredTxn} from its store; first reply ${recoveryMs?.toFixed(0) ?? '(none)'} ms after power came back`,
      journal.recoveredTxn === null ? 'fault' : 'recovered',
    );
    say(
      wholeMs === null
        ? 'the pair did not become whole again'
        : `the pair is whole again ${wholeMs.toFixed(0)} ms after power came back (${load.answers.length - answers} answers meanwhile)`,
      wholeMs === null ? 'fault' : 'recovered',
    );

    await sleep(options.loadMs / 2);
    const answered = await load.stop(5000);
    const serving = whole?.findIndex((s) => s?.pair?.role === 'primary') ?? -1;
    const { violations } = await checkFinalState(
      load.history,
      hosts[serving === 1 ? 1 : 0],
      answered,
    );
    return {
      acknowledged: load.history.acknowledged,
      lost: load.history.lost,
      duplicated: load.history.duplicated,
      violations,
      ...journal,
      recoveryMs,
      wholeMs,
      restoreFirst: options.restoreFirst,
      restoreOrder: order,
      restoreGapMs: options.restoreGapMs,
      baud: config.baud,
    };
  } finally {
    await demoLoad?.close();
    await pair.close();
  }
}

/** How often the journals are read again while looking for the recovery. */
const JOURNAL_POLL_MS = 200;

/**
 * What the boards' journals say about the restart: which one recovered at
 * which txn, or a cold start. A journal read can come back short on a busy
 * machine (a page that timed out): the readers keep their place and read
 * again until one of the two is seen or `timeoutMs` passes.
 */
async function recoveryOf(
  hosts: readonly BoardClient[],
  timeoutMs: number,
): Promise<{ recoveredTxn: number | null; recoveredBy: 1 | 2 | null; coldStart: boolean }> {
  const readers = hosts.map((host) => new JournalReader(host));
  const deadline = performance.now() + timeoutMs;
  let coldStart = false;
  while (performance.now() < deadline) {
    for (const [index, reader] of readers.entries()) {
      for (const entry of await reader.read(2000)) {
        if (entry.kind === 'cold-start') coldStart = true;
        if (entry.kind === 'recovered') {
          return { recoveredTxn: entry.txn, recoveredBy: index === 0 ? 1 : 2, coldStart };
        }
      }
    }
    if (coldStart) break;
    await sleep(JOURNAL_POLL_MS);
  }
  return { recoveredTxn: null, recoveredBy: null, coldStart };
}
