/**
 * Sums up what boards/linux/event-loop-probe.mjs wrote: per kind of process
 * (board-p1, board-p2, the lab daemon...), the event loop's delay over all
 * its one-second windows, and its garbage-collection pauses.
 *   npx tsx boards/linux/loop-report.ts /tmp/probe [--json]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Window {
  readonly label: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly gcPausesMs: readonly number[];
}

export interface LoopReport {
  readonly label: string;
  readonly windows: number;
  /** The median of the windows' p50 and p99, the largest p99.9 and max. */
  readonly delayMs: { p50: number; p99: number; p999Max: number; max: number };
  /** Each window's longest stall: its distribution over the windows. */
  readonly windowMaxMs: { p50: number; p90: number; p99: number };
  /** Windows with a stall of at least this many ms (the default path-down suspicion is 150 ms). */
  readonly windowsOver: Readonly<Record<string, number>>;
  readonly gc: { count: number; p99Ms: number; maxMs: number; totalMs: number };
}

/** Stall lengths worth counting: a heartbeat interval, the path-down time, and beyond. */
const STALL_THRESHOLDS_MS = [50, 100, 150, 300] as const;
/** A process's first windows hold its start (module loading, image verification), not its work. */
export const START_WINDOWS_SKIPPED = 2;

const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
const sort = (values: readonly number[]) => [...values].sort((a, b) => a - b);

export function loopReport(dir: string): LoopReport[] {
  const windows = new Map<string, Window[]>();
  // One file per process; its first windows are its start, not its work.
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    for (const text of lines.filter((l) => l.trim() !== '').slice(START_WINDOWS_SKIPPED)) {
      const window = JSON.parse(text) as Window;
      windows.set(window.label, [...(windows.get(window.label) ?? []), window]);
    }
  }
  return [...windows.entries()].sort().map(([label, list]) => {
    const gc = sort(list.flatMap((w) => w.gcPausesMs));
    return {
      label,
      windows: list.length,
      delayMs: {
        p50: quantile(sort(list.map((w) => w.p50Ms)), 0.5),
        p99: quantile(sort(list.map((w) => w.p99Ms)), 0.5),
        p999Max: Math.max(...list.map((w) => w.p999Ms)),
        max: Math.max(...list.map((w) => w.maxMs)),
      },
      windowMaxMs: {
        p50: quantile(sort(list.map((w) => w.maxMs)), 0.5),
        p90: quantile(sort(list.map((w) => w.maxMs)), 0.9),
        p99: quantile(sort(list.map((w) => w.maxMs)), 0.99),
      },
      windowsOver: Object.fromEntries(
        STALL_THRESHOLDS_MS.map((ms) => [String(ms), list.filter((w) => w.maxMs >= ms).length]),
      ),
      gc: {
        count: gc.length,
        p99Ms: quantile(gc, 0.99),
        maxMs: gc.at(-1) ?? 0,
        totalMs: Math.round(gc.reduce((a, b) => a + b, 0)),
      },
    };
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write('usage: npx tsx boards/linux/loop-report.ts PROBE_DIR [--json]\n');
    process.exitCode = 2;
  } else {
    const report = loopReport(dir);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      for (const r of report) {
        process.stdout.write(
          `${r.label.padEnd(12)} ${String(r.windows).padStart(4)} s  loop delay p50 ${r.delayMs.p50} ms, p99 ${r.delayMs.p99} ms, max ${r.delayMs.max} ms; a second's longest stall p50 ${r.windowMaxMs.p50}, p90 ${r.windowMaxMs.p90}, p99 ${r.windowMaxMs.p99} ms; seconds with a stall >= ${Object.entries(
            r.windowsOver,
          )
            .map(([ms, n]) => `${ms} ms: ${n}`)
            .join(', ')};  gc ${r.gc.count} pauses, p99 ${r.gc.p99Ms} ms, max ${r.gc.maxMs} ms\n`,
        );
      }
    }
  }
}
