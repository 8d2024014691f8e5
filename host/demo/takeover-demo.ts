/**
 * The lab demonstration: a pair of simulated boards running ledger 1.0.0
 * under client load; the primary's power is pulled, the backup takes over,
 * power comes back and the old primary rejoins as backup. Every figure is
 * measured: takeover from the pull to the first reply the new primary
 * served, rejoin from the restore to the restored board holding the backup
 * role, and lost/duplicated from the clients' own history.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryCounts } from '../history/result-counts.ts';
import { checkFinalState } from '../load/final-state.ts';
import { waitForAnswer } from '../load/load-generator.ts';
import {
  type DemoLoad,
  type DemoRunOptions,
  openDemoLoad,
  startDemoPair,
  waitForRejoin,
} from './demo-pair.ts';

export interface DemoOptions extends DemoRunOptions {
  readonly image: Uint8Array;
}

export interface DemoResult extends HistoryCounts {
  readonly violations: readonly string[];
  readonly takeoverMs: number | null;
  readonly rejoinMs: number | null;
  readonly longestWaitMs: number;
  readonly pulled: 1 | 2;
  readonly baud: number;
}

export async function runTakeoverDemo(options: DemoOptions): Promise<DemoResult> {
  const { say } = options;
  const pair = await startDemoPair(options);
  const { config, lab, hosts, primary } = pair;
  let demoLoad: DemoLoad | null = null;
  try {
    demoLoad = await openDemoLoad(options, pair);
    const { load } = demoLoad;
    load.start();
    say(`load running: ${options.clients} clients`);
    await sleep(options.loadMs);

    say(`pulling the power of processor ${primary} (the primary)`, 'fault');
    const pulledAt = performance.now();
    await lab.power(primary, false);
    const survivor: 0 | 1 = primary === 1 ? 1 : 0;
    const takeover = await waitForAnswer(
      load.answers,
      0,
      (a) => a.ok && a.board === survivor && a.atMs > pulledAt,
      10_000,
    );
    const takeoverMs = takeover === undefined ? null : takeover.atMs - pulledAt;
    say(
      takeoverMs === null
        ? 'no takeover seen'
        : `processor ${survivor + 1} took over: first reply ${takeoverMs.toFixed(1)} ms after the pull`,
      takeoverMs === null ? 'fault' : 'takeover',
    );

    await sleep(options.loadMs / 2);
    say(`restoring the power of processor ${primary}`);
    const restoredAt = performance.now();
    await lab.power(primary, true);
    const rejoined = await waitForRejoin(hosts, primary);
    const rejoinMs = rejoined === null ? null : performance.now() - restoredAt;
    say(
      rejoinMs === null
        ? 'the old primary did not rejoin'
        : `processor ${primary} rejoined as backup after a state transfer: ${rejoinMs.toFixed(0)} ms after power came back`,
      rejoinMs === null ? 'fault' : 'recovered',
    );

    await sleep(options.loadMs / 2);
    const answered = await load.stop(5000);
    const { violations } = await checkFinalState(load.history, hosts[survivor], answered);
    return {
      acknowledged: load.history.acknowledged,
      lost: load.history.lost,
      duplicated: load.history.duplicated,
      violations,
      takeoverMs,
      rejoinMs,
      longestWaitMs: load.waitedMsMax,
      pulled: primary,
      baud: config.baud,
    };
  } finally {
    await demoLoad?.close();
    await pair.close();
  }
}
