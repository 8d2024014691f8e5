/**
 * Replies and states compared the way the wire carries them. A client reads a
 * reply, and a backup holds a state, only after CBOR: -0 arrives as 0, so a
 * reply of -0 from the primary and 0 from the backup's cache are the same
 * answer. The checks compare CBOR round trips, never raw values, and never
 * bytes (key order differs between equal objects built in different orders).
 */
import { isDeepStrictEqual } from 'node:util';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import type { CborLimits } from '../../firmware/wire/cbor-limits.ts';

/** The checker compares whole states, far above a message's limits. */
const COMPARISON_LIMITS: CborLimits = {
  bytesMax: Number.MAX_SAFE_INTEGER,
  depthMax: 1_000,
  itemsMax: Number.MAX_SAFE_INTEGER,
};

/** `value` as the other end of a link reads it; a value CBOR cannot carry stays as it is. */
export function onTheWire(value: unknown): unknown {
  try {
    return decodeCbor(encodeCbor(value, COMPARISON_LIMITS), COMPARISON_LIMITS);
  } catch {
    return value; // The runtime refuses to send it; the checks still compare what they have.
  }
}

export function sameOnTheWire(a: unknown, b: unknown): boolean {
  // Equal values are equal on the wire too; only a difference is worth encoding for.
  return isDeepStrictEqual(a, b) || isDeepStrictEqual(onTheWire(a), onTheWire(b));
}

/** Where two values first differ, as a path (`.accounts.a1.balance`, `[3]`); null if equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  const bothObjects =
    !bothArrays && isPlainRecord(a) && isPlainRecord(b) && !Array.isArray(a) && !Array.isArray(b);
  if (bothArrays) {
    if (a.length !== b.length) return `${path || '.'} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const inner = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (inner !== null) return inner;
    }
  } else if (bothObjects) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!Object.hasOwn(a, key) || !Object.hasOwn(b, key))
        return `${path}.${key} (missing on one side)`;
      const inner = firstDifference(a[key], b[key], `${path}.${key}`);
      if (inner !== null) return inner;
    }
  }
  return path || '.';
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
