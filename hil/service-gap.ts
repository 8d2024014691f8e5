/**
 * The longest gap in service around a fault: the longest time in which no
 * client request was acknowledged, among the gaps that touch the span from
 * the fault to the pair's recovery. The gap open when the fault began counts
 * whole (from the last acknowledgement before it), and so does the one still
 * open when the span ends (to the first acknowledgement after it, or the
 * span's end when none came).
 */

/** `ackTimesMs`: when each acknowledgement came, ascending; the span's ends on the same clock. */
export function longestServiceGapMs(
  ackTimesMs: readonly number[],
  fromMs: number,
  toMs: number,
): number {
  let previous = fromMs;
  for (const at of ackTimesMs) {
    if (at > fromMs) break;
    previous = at;
  }
  let longest = 0;
  for (const at of ackTimesMs) {
    if (at <= fromMs) continue;
    longest = Math.max(longest, at - previous);
    if (at >= toMs) return longest;
    previous = at;
  }
  return Math.max(longest, toMs - previous);
}
