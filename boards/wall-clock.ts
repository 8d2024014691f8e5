/**
 * `performance.now()` readings as wall-clock milliseconds, comparable across
 * the processes of one machine (board journals and the host's own times).
 * `performance.timeOrigin` is not: it can be tens of milliseconds off from
 * one process to the next. The offset is taken once, to within a millisecond.
 */
import { performance } from 'node:perf_hooks';

const OFFSET_MS = Date.now() - performance.now();

export function wallClockMs(performanceMs: number = performance.now()): number {
  return OFFSET_MS + performanceMs;
}
