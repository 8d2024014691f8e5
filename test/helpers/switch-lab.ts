/**
 * For the switch's lab tests: a lab pair on ledger 1.0.0 with another image
 * pushed into both boards' other slots, and a run of client load with the
 * boards' journals, checked against the clients' history afterwards.
 */
import { join } from 'node:path';
import { buildImage } from '../../host/image/build.ts';
import { loadPublicKey } from '../../host/image/keys.ts';
import { readBoardStatuses, roleOf } from '../../host/lab/board-watch.ts';
import {
  markServingVersions,
  PairJournal,
  type PairJournalEntry,
} from '../../host/lab/pair-journal.ts';
import { pushImage } from '../../host/lab/push.ts';
import { isSettled } from '../../host/lab/switch.ts';
import { checkFinalState, readPairState } from '../../host/load/final-state.ts';
import { openLabLoad } from '../../host/load/lab-load.ts';
import { type LabPair, startLab } from './lab-pair.ts';

export const FIXTURES = join(import.meta.dirname, '../fixtures');

/** A lab pair on 1.0.0 with `app` (a spec or fixture path) pushed into both other slots. */
export async function startSwitchLab(app = 'ledger@2.0.0', paths: 1 | 2 = 2): Promise<LabPair> {
  const lab = await startLab({ flash: true, paths });
  try {
    const { image } = await buildImage({ app, boards: ['sim'], keyDir: lab.keyDir });
    await pushImage(
      lab.hosts.map((client, index) => ({ processor: index === 0 ? 1 : 2, client })),
      image,
      { publicKeys: [loadPublicKey(join(lab.keyDir, 'image-signing.pub'))], board: 'sim' },
    );
    return lab;
  } catch (error) {
    await lab.close();
    throw error;
  }
}

export interface LoadRun {
  readonly acknowledged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly violations: readonly string[];
  readonly journal: readonly PairJournalEntry[];
  /** Both boards lost their copy of the state: the pair started again from nothing. */
  readonly coldStarted: boolean;
  readonly finalVersion: string;
}

let runs = 0;

/**
 * Runs `during` under client load, waits for the pair to settle, then checks
 * the clients' history against the final state, replayed across versions.
 */
export async function underLoad(
  lab: LabPair,
  during: () => Promise<void>,
  clients = 4,
): Promise<LoadRun> {
  const { load, ports } = await openLabLoad(lab.config, clients, 1000 + runs++);
  const journal = new PairJournal(lab.hosts);
  try {
    await journal.start();
    const before = await readBoardStatuses(lab.hosts);
    const primary = before.findIndex((s) => roleOf(s) === 'primary');
    const start = await readPairState(lab.hosts[primary]);
    load.history.startFrom(start.txn, start.state, start.version);
    load.start();
    await during();
    const settled = await lab.waitFor(isSettled, 40_000).catch(async (error: Error) => {
      await journal.stop();
      const lines = journal.entries.slice(-40).map(describeEntry);
      throw new Error(`${error.message}; the boards' journals end with:\n${lines.join('\n')}`);
    });
    // Requests lost with both copies of the state are not retried for long.
    const answered = await load.stop(3000);
    await journal.stop();
    const coldStarted = journal.entries.some((entry) => entry.kind === 'cold-start');
    markServingVersions(journal.entries, load.history);
    const server = settled.findIndex((s) => roleOf(s) === 'primary');
    const { final, violations } = await checkFinalState(load.history, lab.hosts[server], answered);
    return {
      acknowledged: load.history.acknowledged,
      lost: load.history.lost,
      duplicated: load.history.duplicated,
      violations,
      journal: journal.entries,
      coldStarted,
      finalVersion: final.version,
    };
  } finally {
    await load.stop(0);
    await journal.stop();
    for (const port of ports) await port.close().catch(() => {});
  }
}

function describeEntry(entry: PairJournalEntry): string {
  const what =
    entry.kind === 'role'
      ? `role ${entry.role}: ${entry.why}`
      : entry.kind === 'switch'
        ? `switch ${entry.step} ${entry.ok ? 'ok' : 'FAILED'}: ${entry.detail}`
        : JSON.stringify(entry);
  return `  P${entry.processor} ${entry.version} boot ${entry.boot} at ${entry.atMs.toFixed(1)}: ${what}`;
}
