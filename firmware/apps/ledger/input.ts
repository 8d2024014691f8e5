/**
 * Reading fields out of untrusted input. Everything a client sends is
 * `unknown` until one of these readers has looked at it; each throws an
 * AppInputError whose reason tells the client what was expected and what
 * arrived (firmware/reasons.ts says it). Only own properties count, and
 * unknown fields are ignored.
 */

import { AppInputError } from '../../app.ts';
import { isAccountId, MAX_ACCOUNT_ID_LENGTH } from './account-id.ts';
import { isAmount, MAX_AMOUNT } from './money.ts';
import { sample } from './sample.ts';

export type Fields = Readonly<Record<string, unknown>>;

export function readFields(input: unknown): Fields {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AppInputError({ code: 'not-a-request', ...sample(input) });
  }
  return input as Fields;
}

export function readOp<Op extends string>(fields: Fields, ops: readonly Op[]): Op {
  const op = field(fields, 'op');
  if (typeof op !== 'string' || !(ops as readonly string[]).includes(op)) {
    throw new AppInputError({ code: 'bad-op', ops: ops.join(', '), ...sample(op) });
  }
  return op as Op;
}

export function readAccount(fields: Fields, op: string, name: string): string {
  const value = field(fields, name);
  if (!isAccountId(value)) {
    throw new AppInputError({
      code: 'bad-account',
      op,
      field: name,
      max: MAX_ACCOUNT_ID_LENGTH,
      ...sample(value),
    });
  }
  return value;
}

export function readAmount(fields: Fields, op: string, name: string): number {
  const value = field(fields, name);
  if (!isAmount(value)) {
    throw new AppInputError({
      code: 'bad-amount',
      op,
      field: name,
      max: MAX_AMOUNT,
      ...sample(value),
    });
  }
  return value;
}

/** An amount, or an explicit null meaning "none"; a missing field is an error, not a default. */
export function readAmountOrNull(fields: Fields, op: string, name: string): number | null {
  const value = field(fields, name);
  if (value === null || isAmount(value)) return value;
  throw new AppInputError({
    code: 'bad-amount',
    op,
    field: name,
    max: MAX_AMOUNT,
    orNull: true,
    ...sample(value),
  });
}

function field(fields: Fields, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}
