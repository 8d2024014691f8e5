/**
 * A soak: client load on a lab pair with no fault at all, for a long time.
 * Every takeover in it fenced a healthy primary (issue 9, defect 8), so the
 * count must be 0. A busy machine is what provokes them, so the machine's
 * load average is reported beside the count, before and after.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryCounts } from '../host/history/result-counts.ts';
import { runUnderLoad } from '../host/load/load-run.ts';
import { type FaultPair, SETTLE_TIMEOUT_MS } from './single-faults.ts';

export interface SoakOptions {
  readonly seconds: number;
  readonly clients: number;
  readonly seed: number;
  /** Ends the soak early; the result says it was interrupted. */
  readonly signal?: AbortSignal;
}

/** The machine's load average over 1, 5 and 15 minutes (`os.loadavg()`). */
export type LoadAverage = readonly [number, number, number];

export interface SoakResult extends HistoryCounts {
  /** Seconds asked for. */
  readonly seconds: number;
  /** Seconds the load ran. */
  readonly ranS: number;
  readonly interrupted: boolean;
  readonly clients: number;
  readonly seed: number;
  /** Takeovers in the boards' journals: with no fault, every one is false. */
  readonly takeovers: number;
  readonly fences: number;
  /** Silences on every path with DSR high that ended without a takeover. */
  readonly falseSuspicions: number;
  /** The longest one of them, in ms; 0 when there was none. */
  readonly longestSuspicionMs: number;
  readonly loadAverage: { readonly before: LoadAverage; readonly after: LoadAverage };
  readonly violations: readonly string[];
  readonly journalIncomplete: boolean;
}

const rounded = (values: number[]): LoadAverage =>
  values.map((v) => Math.round(v * 100) / 100) as unknown as LoadAverage;

export function isQuiet(result: SoakResult): boolean {
  return (
    result.takeovers === 0 &&
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.violations.length === 0
  );
}

export async function runSoak(pair: FaultPair, options: SoakOptions): Promise<SoakResult> {
  const before = rounded(loadavg());
  const startedAtMs = performance.now();
  let interrupted = false;
  const run = await runUnderLoad(
    pair,
    async () => {
      try {
        await sleep(options.seconds * 1000, undefined, { signal: options.signal });
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
        interrupted = true;
      }
    },
    { clients: options.clients, seed: options.seed, settleTimeoutMs: SETTLE_TIMEOUT_MS },
  );
  const ranS = Math.round((run.settledAtMs - startedAtMs) / 100) / 10;
  const after = rounded(loadavg());
  const entries = run.journal.entries;
  const suspicions = entries.flatMap((e) => (e.kind === 'false-suspicion' ? [e.silentMs] : []));
  return {
    seconds: options.seconds,
    ranS,
    interrupted,
    clients: options.clients,
    seed: options.seed,
    acknowledged: run.load.history.acknowledged,
    lost: run.load.history.lost,
    duplicated: run.load.history.duplicated,
    takeovers: entries.filter((e) => e.kind === 'takeover').length,
    fences: entries.filter((e) => e.kind === 'fence').length,
    falseSuspicions: suspicions.length,
    longestSuspicionMs: Math.round(Math.max(0, ...suspicions)),
    loadAverage: { before, after },
    violations: [
      ...(run.coldStarted ? ['the pair cold-started: a board held the state'] : []),
      ...run.violations,
    ],
    journalIncomplete: run.journal.incomplete,
  };
}
