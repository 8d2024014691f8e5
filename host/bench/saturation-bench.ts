/**
 * Checkpointing's cost in the lab, measured side by side in one run: the
 * same ledger pair with its backup and with the backup's power off (the
 * primary serving alone), in alternating windows.
 *
 * - Saturation: many clients with no think time keep the primary busy.
 *   Requests a second with and without the backup give the throughput
 *   ratio; the primary's count of checkpoint payload it sent
 *   (`checkpointSentBytes`, the entries' CBOR bytes, a resend once) over
 *   the window gives the checkpoint goodput against the interconnect's
 *   line rate.
 * - Latency: one client with no think time, so no request queues behind
 *   another; the median wait with the backup minus without is the latency
 *   checkpointing adds to each request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PAIR_TIMEOUT_MS } from '../demo/demo-pair.ts';
import { openLabLoad } from '../load/lab-load.ts';
import type { LoadGenerator } from '../load/load-generator.ts';
import { roleOf, waitForBoards } from '../pair/board-watch.ts';
import type { BenchLab } from './bench-lab.ts';
import { quantile } from './figure.ts';
import { type LineSample, type LineTime, lineTime, sampleLine, sumLineTimes } from './line-time.ts';

export interface SaturationOptions {
  /** Clients at saturation. */
  readonly clients: number;
  /** Length of each measured window. */
  readonly windowMs: number;
  /** With-backup and alone windows each, alternating. */
  readonly rounds: number;
  readonly seed: number;
}

/** One measured window. */
export interface Window {
  readonly withBackup: boolean;
  readonly seconds: number;
  /** Ok replies from the primary in the window. */
  readonly answered: number;
  /** Checkpoint payload the primary sent in the window (0 alone). */
  readonly checkpointBytes: number;
  /** Median wait of the requests answered in the window. */
  readonly waitMsMedian: number | null;
  /** Where the interconnect's line time went, primary to backup (null alone, or when a board restarted). */
  readonly lineTime: LineTime | null;
}

export interface SaturationResult {
  readonly baud: number;
  readonly clients: number;
  readonly saturation: readonly Window[];
  readonly latency: readonly Window[];
}

/** Time for the load to settle after the pair changed shape, before a window opens. */
const WARMUP_MS = 500;
/** A saturated request may wait long behind the others: no retry to the other board. */
const SATURATED_TIMEOUT_MS = 5000;

export async function benchSaturation(
  lab: BenchLab,
  options: SaturationOptions,
  say: (line: string) => void = () => {},
): Promise<SaturationResult> {
  const saturation = await measureWindows(lab, options.clients, options, say, 'saturation');
  const latency = await measureWindows(lab, 1, options, say, 'one client');
  return { baud: lab.baud, clients: options.clients, saturation, latency };
}

async function measureWindows(
  lab: BenchLab,
  clients: number,
  options: SaturationOptions,
  say: (line: string) => void,
  label: string,
): Promise<Window[]> {
  const { load, ports } = await openLabLoad(lab.pair.config, clients, options.seed, {
    thinkMsMax: 0,
    timeoutMs: SATURATED_TIMEOUT_MS,
  });
  const windows: Window[] = [];
  try {
    load.start();
    for (let round = 0; round < options.rounds; round++) {
      for (const withBackup of [true, false]) {
        const primary = await lab.whole();
        const backup: 1 | 2 = primary === 1 ? 2 : 1;
        if (!withBackup) {
          await lab.pull(backup);
          const alone = await waitForBoards(
            lab.pair.hosts,
            (s) => roleOf(s[primary - 1]) === 'primary-alone',
            PAIR_TIMEOUT_MS,
          );
          if (alone === null) throw new Error(`P${primary} did not go on alone`);
        }
        await sleep(WARMUP_MS);
        const window = await measureWindow(lab, load, primary, withBackup, options.windowMs);
        windows.push(window);
        say(
          `${lab.baud} baud ${label} ${withBackup ? 'with backup' : 'alone      '}: ${(window.answered / window.seconds).toFixed(1)} req/s, median wait ${window.waitMsMedian?.toFixed(1)} ms${withBackup ? `, checkpoint ${(window.checkpointBytes / window.seconds).toFixed(0)} B/s` : ''}`,
        );
        if (!withBackup) await lab.restore(backup);
      }
    }
    await load.stop(SATURATED_TIMEOUT_MS);
  } finally {
    // After a failure the clients would retry for ever: abandon what is left.
    await load.stop(0);
    for (const port of ports) await port.close().catch(() => {});
  }
  return windows;
}

async function measureWindow(
  lab: BenchLab,
  load: LoadGenerator,
  primary: 1 | 2,
  withBackup: boolean,
  windowMs: number,
): Promise<Window> {
  const sample = () => sampleLine(lab.pair.hosts, lab.hub, lab.pair.config.paths);
  const sent = (s: LineSample) => s.boards[primary - 1]?.pair?.checkpointSentBytes ?? 0;
  const answersBefore = load.answers.length;
  const wait0 = load.waits.length;
  const start = await sample();
  await sleep(windowMs);
  const end = await sample();
  const primaryBoard = primary === 1 ? 0 : 1;
  let answered = 0;
  for (let a = answersBefore; a < load.answers.length; a++) {
    const answer = load.answers[a];
    if (
      answer?.ok &&
      answer.board === primaryBoard &&
      answer.atMs >= start.atMs &&
      answer.atMs <= end.atMs
    ) {
      answered++;
    }
  }
  const waits = load.waits
    .slice(wait0)
    .filter((w) => w.atMs >= start.atMs && w.atMs <= end.atMs)
    .map((w) => w.waitedMs);
  return {
    withBackup,
    seconds: (end.atMs - start.atMs) / 1000,
    answered,
    checkpointBytes: withBackup ? sent(end) - sent(start) : 0,
    waitMsMedian: quantile(waits, 0.5),
    lineTime: withBackup ? lineTime(start, end, primary, lab.baud) : null,
  };
}

/** Requests a second over the windows of one kind. */
export function ratePerSecond(windows: readonly Window[], withBackup: boolean): number | null {
  const chosen = windows.filter((w) => w.withBackup === withBackup);
  const seconds = chosen.reduce((sum, w) => sum + w.seconds, 0);
  if (seconds <= 0) return null;
  return chosen.reduce((sum, w) => sum + w.answered, 0) / seconds;
}

/** Checkpoint payload bytes a second over the windows with a backup. */
export function checkpointBytesPerSecond(windows: readonly Window[]): number | null {
  const chosen = windows.filter((w) => w.withBackup);
  const seconds = chosen.reduce((sum, w) => sum + w.seconds, 0);
  if (seconds <= 0) return null;
  return chosen.reduce((sum, w) => sum + w.checkpointBytes, 0) / seconds;
}

/** The mean of the windows' median waits, of one kind. */
export function medianWaitMs(windows: readonly Window[], withBackup: boolean): number | null {
  const medians = windows
    .filter((w) => w.withBackup === withBackup && w.waitMsMedian !== null)
    .map((w) => w.waitMsMedian as number);
  if (medians.length === 0) return null;
  return medians.reduce((sum, m) => sum + m, 0) / medians.length;
}

/** The line time of the windows with a backup, added up. */
export function windowsLineTime(windows: readonly Window[]): LineTime | null {
  return sumLineTimes(windows.flatMap((w) => (w.lineTime === null ? [] : [w.lineTime])));
}
