/**
 * What a client sent, or what a state held, as facts for the reason that
 * refuses it, never huge: a number or a flag as it is, text cut to
 * SAMPLE_TEXT_MAX characters with its length, anything else by its type.
 * Nothing (undefined) gives no fact. The host says it (reasons.ts, `got`).
 */

/** Characters of a text value a reason carries. */
export const SAMPLE_TEXT_MAX = 40;

export interface Sample {
  readonly got?: number | string | boolean;
  /** Of a value that is no number, text or flag: null, array, object, bigint (`got` its digits), ... */
  readonly type?: string;
  /** Of text longer than SAMPLE_TEXT_MAX. */
  readonly length?: number;
}

export function sample(value: unknown): Sample {
  switch (typeof value) {
    case 'undefined':
      return {};
    case 'number':
    case 'boolean':
      return { got: value };
    case 'string':
      return value.length > SAMPLE_TEXT_MAX
        ? { got: value.slice(0, SAMPLE_TEXT_MAX), length: value.length }
        : { got: value };
    case 'bigint':
      return { type: 'bigint', got: String(value) };
    default:
      return { type: value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value };
  }
}
