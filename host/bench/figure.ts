/**
 * One figure of `tandem bench`: what was measured, against what target, and
 * a note saying how it was measured and, when it falls short, why.
 */

/** Where a figure was measured. */
export type FigureSource = 'lab' | 'simulator';

export interface Target {
  /** `max`: the value must be at most `value`; `min`: at least. */
  readonly kind: 'max' | 'min';
  readonly value: number;
}

export interface Figure {
  /** Stable key for scripts, e.g. `takeover.115200.p99`. */
  readonly id: string;
  /** What a reader sees in the table. */
  readonly label: string;
  /** Null when nothing could be measured (the note says why). */
  readonly value: number | null;
  readonly unit: string;
  /** Null for a figure the issue sets no target for. */
  readonly target: Target | null;
  /** Null without a target; false when the value is missing. */
  readonly met: boolean | null;
  readonly source: FigureSource;
  readonly note: string;
}

export function figure(fields: Omit<Figure, 'met'>): Figure {
  const { value, target } = fields;
  let met: boolean | null = null;
  if (target !== null) {
    met = value !== null && (target.kind === 'max' ? value <= target.value : value >= target.value);
  }
  const note = value === null ? `Not measured (see failures). ${fields.note}` : fields.note;
  return { ...fields, note, met };
}

/** The `q`-quantile (0..1) of `values` by the nearest-rank method; null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** Rounds for reports: a benchmark's noise is far above the fourth digit. */
export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
