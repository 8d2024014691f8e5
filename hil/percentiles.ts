/**
 * Percentiles of a campaign's measured times (takeover, re-form), by the
 * nearest-rank method: the p-th percentile is a value that was measured,
 * the smallest one with at least p% of the values at or below it.
 */

export interface Percentiles {
  /** Null when nothing was measured. */
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly count: number;
}

/** The nearest-rank `p`-th percentile (0 < p <= 100) of `values`; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** p50, p99 and max of `values`, rounded to 0.1 ms. */
export function percentiles(values: readonly number[]): Percentiles {
  const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
  return {
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(percentile(values, 100)),
    count: values.length,
  };
}
