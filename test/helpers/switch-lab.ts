/**
 * For the switch's lab tests: a lab pair (on ledger 1.0.0 by default) with another image
 * pushed into both boards' other slots, and a run of client load with the
 * boards' journals, checked against the clients' history afterwards.
 */

import { join } from 'node:path';
import { loadPublicKey } from '../../boards/image/public-key.ts';
import { causeText, reasonText } from '../../firmware/reasons.ts';
import { buildImage } from '../../host/image/build.ts';
import { runUnderLoad } from '../../host/load/load-run.ts';
import type { PairJournalEntry } from '../../host/pair/pair-journal.ts';
import { pushImage } from '../../host/pair/push.ts';
import { type LabPair, startLab } from './lab-pair.ts';

export const FIXTURES = join(import.meta.dirname, '../fixtures');

/** A lab pair (startLab's `options`) with `app` (a spec or fixture path) pushed into both other slots. */
export async function startSwitchLab(
  app = 'ledger@2.0.0',
  options: Omit<Parameters<typeof startLab>[0], 'flash'> = {},
): Promise<LabPair> {
  const lab = await startLab({ ...options, flash: true });
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
  const run = await runUnderLoad(lab, during, {
    clients,
    seed: 1000 + runs++,
    settleTimeoutMs: 40_000,
  });
  if (run.final === null) {
    const lines = run.journal.entries.slice(-40).map(describeEntry);
    throw new Error(
      `${run.violations.join('; ')}; the boards' journals end with:\n${lines.join('\n')}`,
    );
  }
  const history = run.load.history;
  return {
    acknowledged: history.acknowledged,
    lost: history.lost,
    duplicated: history.duplicated,
    violations: run.violations,
    journal: run.journal.entries,
    coldStarted: run.coldStarted,
    finalVersion: run.final.version,
  };
}

function describeEntry(entry: PairJournalEntry): string {
  const what =
    entry.kind === 'role'
      ? `role ${entry.role}: ${causeText(entry.cause, entry.why)}`
      : entry.kind === 'switch'
        ? `switch ${entry.step} ${entry.ok ? 'ok' : 'FAILED'}: ${entry.why === undefined ? '' : reasonText(entry.why)}`
        : JSON.stringify(entry);
  return `  P${entry.processor} ${entry.version} boot ${entry.boot} at ${entry.atMs.toFixed(1)}: ${what}`;
}
