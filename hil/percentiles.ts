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

/**
 * The fewest samples a percentile needs to be reported: below it, the
 * nearest rank is the largest value or close to it, and the figure says
 * nothing about the tail it names (the 99th percentile of 10 values is
 * their maximum).
 */
export const PERCENTILE_COUNT_MIN = { p50: 2, p99: 100 } as const;

/** The rule, in words, for a report to state. */
export const PERCENTILE_RULE = `percentiles by nearest rank, given only with enough samples: p50 with n \u2265 ${PERCENTILE_COUNT_MIN.p50}, p99 with n \u2265 ${PERCENTILE_COUNT_MIN.p99}; below that "n too small"`;

/** The figures for a person, e.g. "p50 31.0 ms, p99 n too small, max 44.2 ms (n = 60)". */
export function describePercentiles(p: Percentiles): string {
  if (p.count === 0) return 'none measured';
  const ms = (value: number | null) => (value === null ? '-' : `${value.toFixed(1)} ms`);
  const shown = (name: keyof typeof PERCENTILE_COUNT_MIN, value: number | null) =>
    `${name} ${p.count >= PERCENTILE_COUNT_MIN[name] ? ms(value) : 'n too small'}`;
  return `${shown('p50', p.p50)}, ${shown('p99', p.p99)}, max ${ms(p.max)} (n = ${p.count})`;
}
