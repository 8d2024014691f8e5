/**
 * A measuring probe for a board process: loaded into every Node process of
 * a run with NODE_OPTIONS, it appends one JSON line a second to
 * $TANDEM_LOOP_PROBE_DIR/<label>-<pid>.jsonl with the event loop's delay
 * (perf_hooks.monitorEventLoopDelay) and the garbage collector's pauses over
 * that second. Nothing is loaded into the board itself: the same probe
 * measures a lab's board processes and a Linux board.
 *   TANDEM_LOOP_PROBE_DIR=/tmp/probe NODE_OPTIONS=--import=$PWD/boards/linux/event-loop-probe.mjs npx tandem lab up
 * `npx tsx boards/linux/loop-report.ts /tmp/probe` sums the lines up.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const dir = process.env.TANDEM_LOOP_PROBE_DIR;
if (dir !== undefined && dir !== '') {
  const processor = process.argv.indexOf('--processor');
  const label =
    processor > 0
      ? `board-p${process.argv[processor + 1]}`
      : basename(process.argv[1] ?? 'node').replace(/\.[cm]?[jt]s$/, '');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${label}-${process.pid}.jsonl`);
  // 1 ms resolution: the timer the histogram samples with.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gcPausesMs = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPausesMs.push(entry.duration);
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  setInterval(() => {
    const line = {
      label,
      pid: process.pid,
      p50Ms: ms(delay.percentile(50)),
      p99Ms: ms(delay.percentile(99)),
      p999Ms: ms(delay.percentile(99.9)),
      maxMs: ms(delay.max),
      gcPausesMs: gcPausesMs.map((d) => Math.round(d * 100) / 100),
    };
    delay.reset();
    gcPausesMs = [];
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 1000).unref();
}
