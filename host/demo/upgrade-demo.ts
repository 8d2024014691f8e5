/**
 * The upgrade demonstration: a pair runs ledger 1.0.0 under client load;
 * 2.0.0 is pushed into both boards' other slots, the pair switches to it
 * without stopping service, the new primary's power is pulled and the 2.0.0
 * backup takes over, power comes back, and the pair falls back to 1.0.0.
 * Every figure is measured: lost and duplicated from the clients' own
 * history (replayed across the version changes), hold time from the clients'
 * waits during each switch, takeover from the pull to the first reply the
 * new primary served.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardStatus } from '../../boards/management.ts';
import type { HistoryCounts } from '../history/result-counts.ts';
import { checkFinalState } from '../load/final-state.ts';
import { type LoadGenerator, waitForAnswer } from '../load/load-generator.ts';
import { readBoardStatusesPatiently, roleOf } from '../pair/board-watch.ts';
import { markServingVersions, PairJournal } from '../pair/pair-journal.ts';
import { pushImage } from '../pair/push.ts';
import { runSwitch, type SwitchReport } from '../pair/switch.ts';
import {
  type DemoLoad,
  type DemoPair,
  type DemoRunOptions,
  openDemoLoad,
  startDemoPair,
  waitForRejoin,
} from './demo-pair.ts';

export interface UpgradeDemoOptions extends DemoRunOptions {
  readonly v1: Uint8Array;
  readonly v2: Uint8Array;
}

export interface DemoStep {
  readonly name: string;
  readonly outcome: 'ok' | 'failed';
  readonly durationMs: number;
  readonly detail: string;
}

export interface UpgradeDemoResult extends HistoryCounts {
  readonly violations: readonly string[];
  /** The longest any request waited during the switch or the fallback (clients' view). */
  readonly holdMs: number | null;
  readonly takeoverMs: number | null;
  readonly rejoinMs: number | null;
  /** The version each processor runs at the end (processor 1, then 2). */
  readonly finalVersions: readonly (string | null)[];
  readonly steps: readonly DemoStep[];
  readonly switch: SwitchReport | null;
  readonly fallback: SwitchReport | null;
  readonly baud: number;
}

const NOTHING_MEASURED = {
  acknowledged: 0,
  lost: 0,
  duplicated: 0,
  violations: [],
  holdMs: null,
  takeoverMs: null,
  rejoinMs: null,
  finalVersions: [null, null],
  switch: null,
  fallback: null,
} as const;

/** A step failed: the demonstration stops there and reports what it has. */
class StepFailed extends Error {}

export async function runUpgradeDemo(options: UpgradeDemoOptions): Promise<UpgradeDemoResult> {
  const { say } = options;
  const steps: DemoStep[] = [];
  const step = async <T>(name: string, run: () => Promise<[T, string]>): Promise<T> => {
    const started = performance.now();
    try {
      const [value, detail] = await run();
      steps.push({ name, outcome: 'ok', durationMs: performance.now() - started, detail });
      return value;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      steps.push({ name, outcome: 'failed', durationMs: performance.now() - started, detail });
      say(`${name}: FAILED: ${detail}`);
      throw new StepFailed(detail);
    }
  };

  let pair: DemoPair;
  try {
    pair = await step('start the lab with 1.0.0 on both boards', async () => {
      const started = await startDemoPair({ ...options, image: options.v1 });
      return [started, `processor ${started.primary} primary`];
    });
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    return { ...NOTHING_MEASURED, steps, baud: options.baud };
  }
  const figures = {
    holdMs: null as number | null,
    takeoverMs: null as number | null,
    rejoinMs: null as number | null,
    switch: null as SwitchReport | null,
    fallback: null as SwitchReport | null,
  };
  const journal = new PairJournal(pair.hosts);
  let load: LoadGenerator | null = null;
  let demoLoad: DemoLoad | null = null;
  try {
    demoLoad = await openDemoLoad(options, pair);
    load = demoLoad.load;
    await journal.start();
    const before = await readBoardStatusesPatiently(pair.hosts);
    const startTxn = before[pair.primary - 1]?.pair?.txn ?? 0;
    load.history.servingFrom(startTxn, before[pair.primary - 1]?.pair?.version ?? '');
    load.start();
    say(`load running on 1.0.0: ${options.clients} clients`);
    await sleep(options.loadMs);

    await step('push 2.0.0 into both boards', async () => {
      say('pushing 2.0.0 into the other slot of both boards, under load');
      const pushed = await pushImage(
        pair.hosts.map((client, index) => ({ processor: index === 0 ? 1 : 2, client })),
        options.v2,
        { publicKeys: pair.publicKeys, board: pair.config.board },
      );
      const seconds = Math.max(...pushed.boards.map((b) => b.seconds));
      return [pushed, `${options.v2.length} bytes in ${seconds.toFixed(2)} s`];
    });

    await step('switch to 2.0.0', () =>
      switchStep(pair, load as LoadGenerator, 'newer', say, (report, heldMs) => {
        figures.switch = report;
        figures.holdMs = Math.max(figures.holdMs ?? 0, heldMs);
      }),
    );
    await sleep(options.loadMs / 2);

    const primary = await step('find the 2.0.0 primary', async () => {
      const statuses = await readBoardStatusesPatiently(pair.hosts);
      const index = statuses.findIndex((s) => roleOf(s) === 'primary');
      if (index < 0) throw new Error('no primary');
      return [(index + 1) as 1 | 2, `processor ${index + 1}`];
    });
    const survivor: 0 | 1 = primary === 1 ? 1 : 0;
    figures.takeoverMs = await step(
      'pull the new primary: the 2.0.0 backup takes over',
      async () => {
        say(`pulling the power of processor ${primary} (the 2.0.0 primary)`, 'fault');
        const pulledAt = performance.now();
        await pair.lab.power(primary, false);
        const answer = await waitForAnswer(
          (load as LoadGenerator).answers,
          0,
          (a) => a.ok && a.board === survivor && a.atMs > pulledAt,
          10_000,
        );
        if (answer === undefined) throw new Error('no reply from the surviving board');
        const ms = answer.atMs - pulledAt;
        say(
          `processor ${survivor + 1} took over: first reply ${ms.toFixed(1)} ms after the pull`,
          'takeover',
        );
        return [ms, `first reply ${ms.toFixed(1)} ms after the pull`];
      },
    );
    await sleep(options.loadMs / 2);

    figures.rejoinMs = await step('restore power: the board rejoins as 2.0.0 backup', async () => {
      say(`restoring the power of processor ${primary}`);
      const restoredAt = performance.now();
      await pair.lab.power(primary, true);
      const rejoined = await waitForRejoin(pair.hosts, primary);
      if (rejoined === null) throw new Error('the board did not rejoin');
      const ms = performance.now() - restoredAt;
      say(
        `processor ${primary} rejoined as backup ${ms.toFixed(0)} ms after power came back`,
        'recovered',
      );
      return [ms, `${rejoined[primary - 1]?.pair?.version} backup after ${ms.toFixed(0)} ms`];
    });
    await sleep(options.loadMs / 2);

    await step('fall back to 1.0.0', () =>
      switchStep(pair, load as LoadGenerator, 'older', say, (report, heldMs) => {
        figures.fallback = report;
        figures.holdMs = Math.max(figures.holdMs ?? 0, heldMs);
      }),
    );
    await sleep(options.loadMs / 2);
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  }

  try {
    const violations: string[] = [];
    const history = load?.history;
    if (load !== null && history !== undefined) {
      await step('check the clients’ history', async () => {
        const answered = await load.stop(5000);
        await journal.stop();
        markServingVersions(journal.entries, history);
        const statuses = await readBoardStatusesPatiently(pair.hosts);
        const server = statuses.findIndex((s) => roleOf(s) === 'primary');
        const checked = await checkFinalState(history, pair.hosts[Math.max(server, 0)], answered);
        violations.push(...checked.violations);
        if (violations.length > 0) throw new Error(`${violations.length} violations`);
        return [null, `${history.acknowledged} acknowledged, replayed across versions`];
      }).catch((error: unknown) => {
        if (!(error instanceof StepFailed)) throw error;
      });
    }
    const finals = await readBoardStatusesPatiently(pair.hosts);
    return {
      acknowledged: history?.acknowledged ?? 0,
      lost: history?.lost ?? 0,
      duplicated: history?.duplicated ?? 0,
      violations,
      ...figures,
      finalVersions: finals.map(versionOf),
      steps,
      baud: pair.config.baud,
    };
  } finally {
    await demoLoad?.close();
    await pair.close();
  }
}

async function switchStep(
  pair: DemoPair,
  load: LoadGenerator,
  direction: 'newer' | 'older',
  say: (line: string) => void,
  keep: (report: SwitchReport, heldMs: number) => void,
): Promise<[SwitchReport, string]> {
  say(direction === 'newer' ? 'switch: steps a to i' : 'fallback: steps a to i');
  const started = performance.now();
  const report = await runSwitch(pair.hosts, {
    direction,
    onStep: (s) =>
      say(`  step ${s.step} on P${s.processor} ${s.ok ? 'ok' : 'FAILED'}: ${s.detail}`),
  });
  const held = load.waitedMsMaxBetween(started, performance.now());
  keep(report, held);
  if (!report.ok) throw new Error(`failed at step ${report.failedStep}: ${report.failure}`);
  const detail = `${report.from} -> ${report.to}; longest request wait ${held.toFixed(1)} ms; ran without a backup ${report.withoutBackupMs?.toFixed(0)} ms`;
  say(`  ${detail}`);
  return [report, detail];
}

function versionOf(status: BoardStatus | null): string | null {
  return status?.pair?.version ?? null;
}
