/**
 * One run of client load on a lab pair around something that happens to it
 * (a fault, a switch, a quiet soak): the boards' journals read throughout,
 * the pair waited for until it settles, and the clients' history checked
 * against the final state, replayed across versions.
 */
import { performance } from 'node:perf_hooks';
import type { BoardStatus } from '../../boards/management.ts';
import type { LabConfig } from '../lab/lab-config.ts';
import type { BoardClient } from '../pair/board-client.ts';
import { readBoardStatusesPatiently, roleOf, waitForBoards } from '../pair/board-watch.ts';
import { markServingVersions, PairJournal } from '../pair/pair-journal.ts';
import { isSettled } from '../pair-whole.ts';
import { checkFinalState, type PairState, readPairState } from './final-state.ts';
import { openLabLoad } from './lab-load.ts';
import type { LoadGenerator } from './load-generator.ts';

export interface LoadRunPair {
  readonly config: LabConfig;
  readonly hosts: readonly [BoardClient, BoardClient];
}

export interface LoadRunOptions {
  readonly clients: number;
  /** Seed of the clients' workload. */
  readonly seed: number;
  /** How long the pair may take to settle (one primary, one backup, one version) after `during`. */
  readonly settleTimeoutMs: number;
  /**
   * How long outstanding requests may take once the load stops; requests
   * lost with both copies of the state are not retried for long.
   */
  readonly stopWaitMs?: number;
}

export interface LoadRun {
  /** Its history is checked (when the pair settled); its answers keep their times. */
  readonly load: LoadGenerator;
  /** Both boards' journals from just before the load started. */
  readonly journal: PairJournal;
  /** The boards' statuses before the load started. */
  readonly before: readonly (BoardStatus | null)[];
  /** The settled statuses after `during`, or null when the pair did not settle in time. */
  readonly settled: readonly (BoardStatus | null)[] | null;
  /** performance.now() when the pair was seen settled (or gave up waiting). */
  readonly settledAtMs: number;
  /** The final state the history was checked against; null when the pair did not settle. */
  readonly final: PairState | null;
  /** The history checks' violations, as lines. */
  readonly violations: readonly string[];
  /** Both boards lost their copy of the state: the pair started again from nothing. */
  readonly coldStarted: boolean;
}

const STOP_WAIT_MS_DEFAULT = 3000;

/**
 * Runs `during` under client load on a settled pair, waits for the pair to
 * settle, then checks the clients' history against the final state. A pair
 * that does not settle is a result (`settled` null, and a violation), not
 * an exception.
 */
export async function runUnderLoad(
  pair: LoadRunPair,
  during: () => Promise<void>,
  options: LoadRunOptions,
): Promise<LoadRun> {
  const { load, ports } = await openLabLoad(pair.config, options.clients, options.seed);
  const journal = new PairJournal(pair.hosts);
  try {
    await journal.start();
    const before = await readBoardStatusesPatiently(pair.hosts);
    const primary = before.findIndex((s) => roleOf(s) === 'primary');
    const start = await readPairState(pair.hosts[primary]);
    load.history.startFrom(start.txn, start.state, start.version);
    load.start();
    await during();
    const settled = await waitForBoards(pair.hosts, isSettled, options.settleTimeoutMs);
    const settledAtMs = performance.now();
    const answered = await load.stop(options.stopWaitMs ?? STOP_WAIT_MS_DEFAULT);
    await journal.stop();
    const coldStarted = journal.entries.some((entry) => entry.kind === 'cold-start');
    markServingVersions(journal.entries, load.history);
    if (settled === null) {
      return {
        load,
        journal,
        before,
        settled,
        settledAtMs,
        final: null,
        violations: [
          `the pair did not settle within ${options.settleTimeoutMs} ms: the final state was not checked`,
        ],
        coldStarted,
      };
    }
    const server = settled.findIndex((s) => roleOf(s) === 'primary');
    const { final, violations } = await checkFinalState(load.history, pair.hosts[server], answered);
    return { load, journal, before, settled, settledAtMs, final, violations, coldStarted };
  } finally {
    await load.stop(0);
    await journal.stop();
    for (const port of ports) await port.close().catch(() => {});
  }
}
