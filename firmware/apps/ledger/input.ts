/**
 * Reading fields out of untrusted input. Everything a client sends is
 * `unknown` until one of these readers has looked at it; each throws an
 * AppInputError whose message tells the client what was expected and what
 * arrived. Only own properties count, and unknown fields are ignored.
 */

import { AppInputError } from '../../app.ts';
import { isAccountId, MAX_ACCOUNT_ID_LENGTH } from './account-id.ts';
import { isAmount, MAX_AMOUNT } from './money.ts';

export type Fields = Readonly<Record<string, unknown>>;

export function readFields(input: unknown): Fields {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AppInputError(
      `a ledger request must be an object with an "op", got ${describe(input)}`,
    );
  }
  return input as Fields;
}

export function readOp<Op extends string>(fields: Fields, ops: readonly Op[]): Op {
  const op = field(fields, 'op');
  if (typeof op !== 'string' || !(ops as readonly string[]).includes(op)) {
    throw new AppInputError(`"op" must be one of ${ops.join(', ')}; got ${describe(op)}`);
  }
  return op as Op;
}

export function readAccount(fields: Fields, op: string, name: string): string {
  const value = field(fields, name);
  if (!isAccountId(value)) {
    throw new AppInputError(
      `${op} needs "${name}": an account id of 1 to ${MAX_ACCOUNT_ID_LENGTH} characters ` +
        `(well-formed text, not "__proto__"); got ${describe(value)}`,
    );
  }
  return value;
}

export function readAmount(fields: Fields, op: string, name: string): number {
  const value = field(fields, name);
  if (!isAmount(value)) {
    throw new AppInputError(
      `${op} needs "${name}": a whole number of cents from 1 to ${MAX_AMOUNT}; got ${describe(value)}`,
    );
  }
  return value;
}

/** An amount, or an explicit null meaning "none"; a missing field is an error, not a default. */
export function readAmountOrNull(fields: Fields, op: string, name: string): number | null {
  const value = field(fields, name);
  if (value === null || isAmount(value)) return value;
  throw new AppInputError(
    `${op} needs "${name}": null or a whole number of cents from 1 to ${MAX_AMOUNT}; got ${describe(value)}`,
  );
}

function field(fields: Fields, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** A short, safe rendering of any value for an error message (never throws, never huge). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return value.length > 40
        ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`
        : JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `the bigint ${value}`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}
